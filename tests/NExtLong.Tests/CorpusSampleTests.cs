using System.Globalization;
using NExtLong.Corpus;

namespace NExtLong.Tests;

/// <summary>Reads the real sample corpus bundled in samples/ (Debian and npm documentation texts).</summary>
public class CorpusSampleTests
{
    [Fact]
    public void The_bundled_sample_reads_whole_and_matches_its_source_table()
    {
        string samples = Path.Combine(RepositoryRoot(), "samples");
        var source = CorpusSource.Parse(Path.Combine(samples, "sample-docs.jsonl.gz"));
        var report = new CorpusReadReport();

        var documents = CorpusReader.Read(source, new CorpusReadOptions(), report, TestContext.Current.CancellationToken).ToList();

        Assert.Equal(1942, documents.Count);
        Assert.Equal(0, report.SkippedTotal);
        Assert.Equal("sample-docs", source.Name);
        Assert.Equal(documents.Count, documents.Select(d => d.Id).Distinct().Count());
        // SOURCES.tsv: source, docs, chars (Python len); ids are "source:path".
        var expected = File.ReadLines(Path.Combine(samples, "SOURCES.tsv")).Skip(1)
            .Select(line => line.Split('\t'))
            .ToDictionary(f => f[0], f => (Docs: int.Parse(f[1], CultureInfo.InvariantCulture), Chars: long.Parse(f[2], CultureInfo.InvariantCulture)));
        var actual = documents.GroupBy(d => d.Id[..d.Id.IndexOf(':')])
            .ToDictionary(g => g.Key, g => (Docs: g.Count(), Chars: g.Sum(d => (long)TextLength.Of(d.Text))));
        Assert.Equal(expected.OrderBy(e => e.Key), actual.OrderBy(a => a.Key));
    }

    /// <summary>The folder holding NExtLong.slnx, found upwards from the test binaries.</summary>
    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NExtLong.slnx")))
                return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no NExtLong.slnx above {AppContext.BaseDirectory}");
    }
}
