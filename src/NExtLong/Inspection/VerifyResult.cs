using System.Globalization;

namespace NExtLong.Inspection;

/// <summary>The outcome of <see cref="DatasetVerifier.Verify"/>: what was checked, or the first thing found wrong.</summary>
public sealed record VerifyResult
{
    /// <summary>The path verified, as given.</summary>
    public required string Path { get; init; }

    /// <summary>The formats found and checked ("jsonl.zst", "mds", "mds-text", "megatron", "parquet").</summary>
    public IReadOnlyList<string> Formats { get; init; } = [];

    /// <summary>Samples (documents, sequences, rows) of each format; the formats of one dataset agree on it.</summary>
    public long Samples { get; init; }

    /// <summary>Token ids of the tokenized formats when there are any, else the text formats' num_tokens; null when not counted (quick).</summary>
    public long? Tokens { get; init; }

    /// <summary>What the ids were checked against, or why they were not; null when no format holds ids.</summary>
    public string? Vocabulary { get; init; }

    /// <summary>The first thing found wrong: the file, the sample and what is wrong with it; null when all is well.</summary>
    public string? Failure { get; init; }

    /// <summary>True when nothing was found wrong (<see cref="Failure"/> is null).</summary>
    public bool Ok => Failure is null;

    /// <summary>What was verified: "N samples, M tokens, formats …; token ids below V (tokenizer)".</summary>
    public string Counts =>
        $"{N(Samples)} samples, {(Tokens is long t ? N(t) : "uncounted")} tokens, formats {string.Join(", ", Formats)}{(Vocabulary is null ? "" : "; " + Vocabulary)}";

    /// <summary>One line: "verified: N samples, M tokens, formats …" or "FAILED: " and the failure.</summary>
    public string Summary => Ok ? $"verified: {Counts}" : $"FAILED: {Failure}";

    private static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);
}
