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

    public static IReadOnlyList<IndexedSource> Describe(IReadOnlyList<CorpusSource> sources)
        => sources.Select(s => new IndexedSource(s.Name, CorpusReader.ResolveFiles(s)
            .Select(f => new IndexedFile(Path.GetFullPath(f), new FileInfo(f).Length)).ToList())).ToList();
}
