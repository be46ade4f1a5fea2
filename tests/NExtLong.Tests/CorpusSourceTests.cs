using NExtLong.Corpus;

namespace NExtLong.Tests;

public class CorpusSourceTests
{
    [Theory]
    [InlineData("data/docs.jsonl.gz", "docs", 1.0, new[] { "data/docs.jsonl.gz" })]
    [InlineData("data/fineweb-edu/@2.5", "fineweb-edu", 2.5, new[] { "data/fineweb-edu/" })]
    [InlineData("fw=data/fineweb-edu/sample/10BT@3", "fw", 3.0, new[] { "data/fineweb-edu/sample/10BT" })]
    [InlineData("cosmopedia=a/*.parquet, b/**/*.parquet@0.4", "cosmopedia", 0.4, new[] { "a/*.parquet", "b/**/*.parquet" })]
    [InlineData("data/*/*.parquet", "data", 1.0, new[] { "data/*/*.parquet" })]
    [InlineData("/corpora/smollm/cosmopedia-v2/train-00000-of-00104.parquet@1e-1", "train-00000-of-00104", 0.1, new[] { "/corpora/smollm/cosmopedia-v2/train-00000-of-00104.parquet" })]
    [InlineData("odd@name/x.jsonl", "x", 1.0, new[] { "odd@name/x.jsonl" })]
    [InlineData("dir=with=equals/x.jsonl", "dir", 1.0, new[] { "with=equals/x.jsonl" })]
    public void Parses_paths_weights_and_names(string spec, string name, double weight, string[] patterns)
    {
        CorpusSource source = CorpusSource.Parse(spec);

        Assert.Equal(name, source.Name);
        Assert.Equal(weight, source.Weight);
        Assert.Equal(patterns, source.Patterns);
        Assert.Equal("text", source.TextField);
        Assert.Equal("id", source.IdField);
    }

    [Theory]
    [InlineData("x.jsonl@0")]
    [InlineData("x.jsonl@-2")]
    [InlineData("x.jsonl@NaN")]
    [InlineData("x.jsonl@Infinity")]
    [InlineData("name=@2")]
    [InlineData("   ")]
    public void Rejects_bad_specs(string spec) => Assert.Throws<FormatException>(() => CorpusSource.Parse(spec));

    [Fact]
    public void Rejects_bad_weights_and_field_paths_in_code_too()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusSource("s", ["x.jsonl"], Weight: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CorpusSource("s", ["x.jsonl"]) with { Weight = double.NaN });
        Assert.Throws<ArgumentException>(() => new CorpusSource("s", ["x.jsonl"], TextField: "metadata..text"));
        Assert.Throws<ArgumentException>(() => new CorpusSource("bad name", ["x.jsonl"]));
        Assert.Throws<ArgumentException>(() => new CorpusSource("s", []));
    }

    [Fact]
    public void A_folder_resolves_recursively_to_its_supported_files_in_ordinal_order()
    {
        using var dir = new CorpusTestDirectory();
        foreach (string name in new[] { "b/2.jsonl", "a.jsonl.zst", "B.parquet", "b/1.json.gz", "b/c/0.jsonl", "README.md", "b/notes.txt", ".hidden.jsonl", "a.jsonl.gz" })
            dir.WriteText(name, "");

        IReadOnlyList<string> files = CorpusReader.ResolveFiles(new CorpusSource("s", [dir.Path]));

        Assert.Equal(
            new[] { "B.parquet", "a.jsonl.gz", "a.jsonl.zst", "b/1.json.gz", "b/2.jsonl", "b/c/0.jsonl" }.Select(f => Path.Combine(dir.Path, f)),
            files);
    }

    [Fact]
    public void Globs_match_one_segment_per_star_and_any_depth_for_double_star()
    {
        using var dir = new CorpusTestDirectory();
        foreach (string name in new[] { "data/CC-MAIN-2024-10/001.parquet", "data/CC-MAIN-2024-10/000.parquet", "data/CC-MAIN-2013-20/000.parquet",
                     "data/top.parquet", "data/CC-MAIN-2024-10/deeper/000.parquet", "data/CC-MAIN-2024-10/000.jsonl", "data/x/readme.md" })
            dir.WriteText(name, "");
        string root = dir.Path;

        IReadOnlyList<string> oneLevel = CorpusReader.ResolveFiles(new CorpusSource("s", [$"{root}/data/*/*.parquet"]));
        IReadOnlyList<string> anyDepth = CorpusReader.ResolveFiles(new CorpusSource("s", [$"{root}/data/**/*.parquet"]));
        IReadOnlyList<string> everything = CorpusReader.ResolveFiles(new CorpusSource("s", [$"{root}/data/**"]));
        IReadOnlyList<string> question = CorpusReader.ResolveFiles(new CorpusSource("s", [$"{root}/data/CC-MAIN-2024-10/00?.parquet"]));

        string P(string relative) => Path.Combine(root, relative);
        Assert.Equal([P("data/CC-MAIN-2013-20/000.parquet"), P("data/CC-MAIN-2024-10/000.parquet"), P("data/CC-MAIN-2024-10/001.parquet")], oneLevel);
        Assert.Equal([P("data/CC-MAIN-2013-20/000.parquet"), P("data/CC-MAIN-2024-10/000.parquet"), P("data/CC-MAIN-2024-10/001.parquet"),
            P("data/CC-MAIN-2024-10/deeper/000.parquet"), P("data/top.parquet")], anyDepth);
        Assert.Equal(6, everything.Count);
        Assert.Equal([P("data/CC-MAIN-2024-10/000.parquet"), P("data/CC-MAIN-2024-10/001.parquet")], question);
    }

    [Fact]
    public void Several_patterns_merge_without_duplicates_and_sort_together()
    {
        using var dir = new CorpusTestDirectory();
        string a = dir.WriteText("z/a.jsonl", "");
        string b = dir.WriteText("y/b.jsonl", "");

        IReadOnlyList<string> files = CorpusReader.ResolveFiles(
            CorpusSource.Parse($"{Path.Combine(dir.Path, "z")},{dir.Path}/*/*.jsonl,{a}"));

        Assert.Equal([b, a], files);
    }

    [Fact]
    public void Patterns_that_match_nothing_or_unsupported_files_are_errors()
    {
        using var dir = new CorpusTestDirectory();
        string notes = dir.WriteText("notes.txt", "");

        Assert.Throws<FileNotFoundException>(() => CorpusReader.ResolveFiles(new CorpusSource("s", [Path.Combine(dir.Path, "missing.jsonl")])));
        Assert.Throws<FileNotFoundException>(() => CorpusReader.ResolveFiles(new CorpusSource("s", [$"{dir.Path}/*.parquet"])));
        Assert.Throws<FileNotFoundException>(() => CorpusReader.ResolveFiles(new CorpusSource("s", [dir.Path])));
        Assert.Throws<ArgumentException>(() => CorpusReader.ResolveFiles(new CorpusSource("s", [notes])));
    }
}
