using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace NExtLong.Cli;

/// <summary>
/// Errors as the user sees them: one line on stderr, "nextlong: error: …", naming flags rather than the library's
/// property names, with no usage text and no stack trace.
/// </summary>
internal static partial class CliErrors
{
    /// <summary>The flag of each options property (of every command: the names are unambiguous across them).</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        // index, embed
        ["Inputs"] = "--input",
        ["OutDir"] = "--out",
        ["ChunkChars"] = "--chunk-chars",
        ["ChunkingMode"] = "--chunking",
        ["Embedder"] = "--embedder",
        ["IndexSpec"] = "--index-spec",
        ["TextField"] = "--text-field",
        ["IdField"] = "--id-field",
        ["OnBadRecord"] = "--on-bad-record",
        ["Threads"] = "--threads",
        ["Rank"] = "--rank",
        ["WorldSize"] = "--world-size",
        ["Merge"] = "--merge",
        // chunks, index --vectors
        ["ShardChunks"] = "--shard-chunks",
        ["ShardFormat"] = "--shard-format",
        ["Vectors"] = "--vectors",
        ["VectorsModel"] = "--vectors-model",
        ["ChunksDir"] = "--chunks",
        ["Normalize"] = "--normalize",
        ["RequireNormalized"] = "--require-normalized",
        // synthesize
        ["IndexDir"] = "--index",
        ["Tokenizer"] = "--tokenizer",
        ["TargetTokens"] = "--target-tokens",
        ["NumSamples"] = "--num-samples",
        ["Seed"] = "--seed",
        ["Oversampling"] = "--oversampling",
        ["NearDuplicateThreshold"] = "--near-duplicate-threshold",
        ["FalseNegativeThreshold"] = "--false-negative-threshold",
        ["Separator"] = "--separator",
        ["Method"] = "--method",
        ["Placement"] = "--placement",
        ["Selection"] = "--negatives",
        ["Retriever"] = "--retriever",
        ["CandidatePool"] = "--candidate-pool",
        ["Hybrid"] = "--hybrid",
        ["K1"] = "--bm25-k1",
        ["B"] = "--bm25-b",
        ["QueryTerms"] = "--bm25-query-terms",
        ["MinDocFreq"] = "--bm25-min-doc-freq",
        ["StopWords"] = "--bm25-stop-words",
        ["Stemming"] = "--bm25-stemming",
        ["DocumentsPerPart"] = "--documents-per-part",
        // output
        ["Formats"] = "--format",
        ["AddBos"] = "--add-bos",
        ["AddEos"] = "--add-eos",
        ["ReserveSpecialTokens"] = "--reserve-special-tokens",
        ["SizeLimit"] = "--mds-size-limit",
        ["Compression"] = "--mds-compression",
        ["Hashes"] = "--mds-hashes",
        // pack, mix
        ["PackLength"] = "--pack-length",
        ["MinLength"] = "--min-length",
        ["Shuffle"] = "--shuffle",
        ["Domain"] = "--domain",
        // inspect, report
        ["Sample"] = "--sample",
        ["MaxChars"] = "--max-chars",
        ["MaxItems"] = "--max-items",
        ["SamplesPerDataset"] = "--samples",
        // slurm
        ["DedupTasks"] = "--dedup-tasks",
        ["IndexTasks"] = "--index-tasks",
        ["SynthesisTasks"] = "--synthesis-tasks",
        ["Throttle"] = "--throttle",
        ["CpusPerTask"] = "--cpus-per-task",
    };

    /// <summary>The flag for an options property; the property name itself for settings the CLI does not expose.</summary>
    public static string Flag(string property) => Flags.GetValueOrDefault(property, property);

    /// <summary>The property an option sets (the inverse of <see cref="Flag"/>), for telling the library which were given.</summary>
    public static string? Property(string flag) => Flags.FirstOrDefault(p => p.Value == flag).Key;

    /// <summary>
    /// A predicate for the options records' Validate(isSet): whether the user gave the flag of a property on this
    /// command line (a default value typed out counts as given).
    /// </summary>
    public static Func<string, bool> Given(ParseResult r) => property =>
        r.CommandResult.Command.Options.FirstOrDefault(o => o.Name == Flag(property)) is { } option && IsGiven(r, option);

    public static bool IsGiven(ParseResult r, Option option) => r.GetResult(option) is { Implicit: false };

    /// <summary>An exception's message as one line, flags in place of property names.</summary>
    public static string Message(Exception e) => OneLine(e is OptionValidationException o ? o.Describe(Flag) : e.Message);

    public static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    /// <summary>Parse errors (unknown option, missing value, a value of the wrong type) as one line.</summary>
    public static string ParseErrors(IReadOnlyList<ParseError> errors) => string.Join("; ", errors.Select(e => Friendly(e.Message)).Distinct());

    private static string Friendly(string message)
    {
        var m = CannotParse().Match(message);
        if (!m.Success) return OneLine(message);
        string type = m.Groups[3].Value;
        string expected = type switch
        {
            _ when type.Contains("UInt64") => "a whole number in [0, 18446744073709551615]",
            _ when type.Contains("Int32") || type.Contains("Int64") => "a whole number",
            _ when type.Contains("Single") || type.Contains("Double") => "a number",
            _ when type.Contains("Boolean") => "true or false",
            _ => type,
        };
        return $"{m.Groups[2].Value} must be {expected} (got '{m.Groups[1].Value}')";
    }

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for option '(.*)' as expected type '(.*)'\.?$", RegexOptions.Singleline)]
    private static partial Regex CannotParse();
}
