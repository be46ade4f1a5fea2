using NExtLong.Corpus;
using NExtLong.Index;

namespace NExtLong.Pipeline;

/// <summary>Turns the CLI's --input values into corpus sources, and describes their files for index manifests.</summary>
internal static class CorpusInputs
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

    /// <summary>The fields each source's records are read by, in source order, as an index's manifest records them.</summary>
    public static IReadOnlyList<IndexedFields> Fields(IReadOnlyList<CorpusSource> sources) => [.. sources.Select(s => new IndexedFields(s.TextField, s.IdField))];

    /// <summary>One input file of a source: the work unit of the stages that read the corpus (index, embed).</summary>
    public sealed record InputFile(int Source, string File)
    {
        public static string UnitName(int unit) => $"unit-{unit:D5}";
    }

    /// <summary>Every input file, source by source in <see cref="CorpusReader.ResolveFiles"/> order: the order a local run reads them in.</summary>
    public static IReadOnlyList<InputFile> Files(IReadOnlyList<CorpusSource> sources)
        => sources.SelectMany((source, i) => CorpusReader.ResolveFiles(source).Select(f => new InputFile(i, f))).ToList();

    /// <summary>
    /// Every source's files: the path documents are named by, the size and, when <paramref name="checksums"/>, a
    /// checksum of the content (files hashed in parallel, or taken from their folder's <see cref="VerifiedFiles"/>
    /// record while their identity is the one they were hashed with), so that freshness never rests on names or sizes.
    /// </summary>
    public static IReadOnlyList<IndexedSource> Describe(IReadOnlyList<CorpusSource> sources, bool checksums = true, int threads = 1, CancellationToken ct = default)
    {
        var files = Files(sources);
        var hashes = new string?[files.Count];
        if (checksums)
        {
            // Each folder's record of the checksums its files had (VerifiedFiles): a file unchanged since is not read again.
            var paths = files.Select(f => Path.GetFullPath(f.File)).ToArray();
            var records = paths.Select(path => Path.GetDirectoryName(path)!).Distinct(StringComparer.Ordinal)
                .ToDictionary(dir => dir, VerifiedFiles.Load, StringComparer.Ordinal);
            Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = ct }, i =>
            {
                string path = paths[i];
                using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
                hashes[i] = records[Path.GetDirectoryName(path)!].ContentChecksum(handle, Path.GetFileName(path), files[i].File, ct);
            });
            foreach (var record in records.Values)
                record.Save();
        }
        return sources.Select((s, i) => new IndexedSource(s.Name, files.Select((f, n) => (f, n)).Where(x => x.f.Source == i)
            .Select(x => new IndexedFile(CorpusReader.RelativePath(s, x.f.File), new FileInfo(x.f.File).Length, hashes[x.n])).ToList())).ToList();
    }
}
