using NExtLong.Corpus;
using NExtLong.Index;

namespace NExtLong.Pipeline;

/// <summary>
/// What a stage reads: the corpus inputs, the fields holding text and id, and what to do with a bad record. Every
/// stage that reads a corpus (dedup, index, embed, chunks, synthesize) takes these, so they and their checks are
/// defined here once.
/// </summary>
public sealed record CorpusInputOptions
{
    /// <summary>Corpus files, folders or globs: PATH, PATH@WEIGHT or NAME=PATH@WEIGHT, one source each.</summary>
    public required IReadOnlyList<string> Inputs { get; init; }

    /// <summary>The field holding a document's text, for every source; null: each source's own (by default "text").</summary>
    public string? TextField { get; init; }

    /// <summary>The field holding a document's id, for every source; null: each source's own (by default "id", else file:line).</summary>
    public string? IdField { get; init; }

    /// <summary>Throw on the first bad record (the default), or count it and go on.</summary>
    public CorpusBadRecordAction OnBadRecord { get; init; } = CorpusBadRecordAction.Fail;

    /// <summary>Throws an <see cref="OptionValidationException"/> for the first option out of range.</summary>
    public void Validate()
    {
        OptionValidationException.NotEmpty(nameof(Inputs), Inputs);
        OptionValidationException.Defined(nameof(OnBadRecord), OnBadRecord);
    }

    /// <summary>
    /// Throws an <see cref="OptionValidationException"/> when <paramref name="outDir"/> lies where an input reads (in
    /// a folder given as input, or where a glob could match): the output would be read back as corpus on the next run.
    /// </summary>
    internal void RequireApartFrom(string outDir)
    {
        string output = Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir));
        foreach (var source in Sources())
            foreach (string pattern in source.Patterns)
            {
                bool reads = CorpusGlob.HasWildcards(pattern)
                    ? CorpusGlob.CouldMatchBelow(pattern, output)
                    : Directory.Exists(pattern) && IsAtOrBelow(output, Path.TrimEndingDirectorySeparator(Path.GetFullPath(pattern)));
                if (reads)
                    throw OptionValidationException.Conflict("OutDir", outDir, nameof(Inputs), pattern,
                        "the output would lie among the inputs and be read back as corpus; write it outside what {Inputs} reads");
            }
    }

    private static bool IsAtOrBelow(string path, string folder) =>
        path == folder || path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>How the corpus reader treats bad records.</summary>
    public CorpusReadOptions ReadOptions => new() { OnBadRecord = OnBadRecord };

    /// <summary>The sources the inputs name, with the fields given here in place of their own.</summary>
    internal IReadOnlyList<CorpusSource> Sources() => CorpusInputs.Parse(Inputs, TextField, IdField);

    /// <summary>
    /// A distributed stage's plan (what decides its units' bytes): the stage's name, its own settings, then what is
    /// read (fields, bad-record policy, <paramref name="sources"/>), in that order.
    /// </summary>
    internal Dictionary<string, object?> Plan(string stage, IReadOnlyList<IndexedSource> sources, params (string Name, object? Value)[] settings)
    {
        var plan = new Dictionary<string, object?> { ["stage"] = stage };
        foreach (var (name, value) in settings) plan[name] = value;
        plan["text_field"] = TextField;
        plan["id_field"] = IdField;
        plan["on_bad_record"] = OnBadRecord.ToString();
        plan["sources"] = sources;
        return plan;
    }

    /// <summary>
    /// The `inputs` of an output's config.json: each source by name, weight, (<paramref name="quotas"/>: documents
    /// asked of it), fields and content (path relative to the --input pattern's folder, bytes, XxHash3), so an output
    /// made from other bytes is another output whatever the names, and no machine path goes into it.
    /// </summary>
    internal static List<Dictionary<string, object?>> ConfigInputs(IReadOnlyList<CorpusSource> sources, IReadOnlyList<IndexedSource> described, IReadOnlyList<int>? quotas = null)
        => sources.Select((x, i) =>
        {
            var input = new Dictionary<string, object?> { ["name"] = x.Name, ["weight"] = x.Weight };
            if (quotas is not null) input["quota"] = quotas[i];
            input["text_field"] = x.TextField;
            input["id_field"] = x.IdField;
            input["content"] = described[i].Files.Select(f => new Dictionary<string, object?> { ["path"] = f.Path, ["bytes"] = f.Bytes, ["xxh3"] = f.Xxh3 }).ToList();
            return input;
        }).ToList();
}
