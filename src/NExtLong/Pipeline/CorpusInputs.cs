using NExtLong.Corpus;
using NExtLong.Index;

namespace NExtLong.Pipeline;

/// <summary>Turns the CLI's --input values into corpus sources, and describes their files for index manifests.</summary>
public static class CorpusInputs
{
    public static IReadOnlyList<CorpusSource> Parse(IReadOnlyList<string> inputs, string? textField, string? idField)
    {
        if (inputs.Count == 0) throw new ArgumentException("no --input given");
        var sources = inputs.Select(CorpusSource.Parse)
            .Select(s => s with { TextField = textField ?? s.TextField, IdField = idField ?? s.IdField })
            .ToList();
        var duplicate = sources.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two inputs are both named '{duplicate.Key}'; name them with NAME=PATH");
        return sources;
    }

    /// <summary>One input file of a source: the work unit of the stages that read the corpus (index, embed).</summary>
    public sealed record InputFile(int Source, string File)
    {
        public static string UnitName(int unit) => $"unit-{unit:D5}";
    }

    /// <summary>Every input file, source by source in <see cref="CorpusReader.ResolveFiles"/> order: the order a local run reads them in.</summary>
    public static IReadOnlyList<InputFile> Files(IReadOnlyList<CorpusSource> sources)
        => sources.SelectMany((source, i) => CorpusReader.ResolveFiles(source).Select(f => new InputFile(i, f))).ToList();

    public static IReadOnlyList<IndexedSource> Describe(IReadOnlyList<CorpusSource> sources)
        => sources.Select(s => new IndexedSource(s.Name, CorpusReader.ResolveFiles(s)
            .Select(f => new IndexedFile(Path.GetFullPath(f), new FileInfo(f).Length)).ToList())).ToList();
}
