using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NExtLong.Output;
using NExtLong.Output.Megatron;
using NExtLong.Output.Parquet;
using NExtLong.Pipeline;
using NExtLong.Tokenization;

namespace NExtLong.Inspection;

/// <summary>
/// What one dataset's samples must satisfy, from what its folder records: the config.json of a synthesized
/// dataset beside or above it (tokenizer, T, BOS/EOS), stats.json's document count, the card `pack` writes
/// (pack and minimum length), and the options' vocabulary.
/// </summary>
internal sealed partial record DatasetExpectations
{
    /// <summary>Token ids must be below this; null when no vocabulary is known (ids then only have to fit int32).</summary>
    public int? VocabSize { get; init; }

    /// <summary>For the summary: what the ids were checked against, or why not.</summary>
    public required string Vocabulary { get; init; }

    /// <summary>num_tokens of every text record (T) of a synthesized dataset.</summary>
    public int? TextTokens { get; init; }

    /// <summary>Ids of every tokenized sequence of a synthesized dataset: T plus the recorded BOS/EOS.</summary>
    public int? SequenceTokens { get; init; }

    public int? Bos { get; init; }

    public int? Eos { get; init; }

    /// <summary>Bounds on sequence lengths that `pack` recorded (pack length, minimum length).</summary>
    public (int Min, int Max)? PackedLength { get; init; }

    /// <summary>The Megatron dtype config.json records ("int32", "uint16").</summary>
    public string? MegatronDType { get; init; }

    /// <summary>Samples stats.json says this path holds (the whole dataset, or one domain's MDS folder).</summary>
    public long? Documents { get; init; }

    /// <summary>Where <see cref="Documents"/> comes from, for messages.</summary>
    public string? DocumentsSource { get; init; }

    /// <summary>Ids must be below this: the vocabulary size, or int32's range when none is known.</summary>
    public long IdLimit => VocabSize ?? TokenIds.NoVocabulary;

    /// <summary>The message for an id outside [0, <see cref="IdLimit"/>).</summary>
    public string IdProblem(string id, long position) => VocabSize is int v
        ? $"token id {id} at position {N(position)} is not below the vocabulary size {N(v)}"
        : $"token id {id} at position {N(position)} is negative or beyond int32";

    /// <summary>What is wrong with a tokenized sequence of <paramref name="length"/> ids, or null.</summary>
    public string? LengthProblem(long length)
    {
        if (SequenceTokens is int exact && length != exact)
            return $"{N(length)} ids, but config.json's target_tokens plus its BOS/EOS make {N(exact)}";
        if (PackedLength is var (min, max) && (length < min || length > max))
            return $"{N(length)} ids, outside the {N(min)}..{N(max)} that pack recorded (min_length, pack_length)";
        return null;
    }

    /// <summary>The expectations for one dataset <see cref="DatasetLocator.FindOrThrow"/> found.</summary>
    /// <param name="kind">The dataset's kind as the locator names it: "mds", "megatron", "parquet" or "jsonl".</param>
    /// <param name="target">The dataset's path (folder, prefix or file) as the locator found it.</param>
    /// <param name="options">The vocabulary and tokenizer given for the check; they win over config.json's.</param>
    /// <param name="tokenizers">Tokenizers already loaded in this run, by name; one loaded here is added.</param>
    public static DatasetExpectations For(string kind, string target, VerifyOptions options, Dictionary<string, TargetTokenizer?> tokenizers)
    {
        string full = Path.GetFullPath(target);
        string? root = SynthesisRoot(full);
        JsonElement config = default;
        JsonDocument? doc = root is null ? null : Parse(Path.Combine(root, SynthesisStage.ConfigFile));
        using (doc)
        {
            if (doc is not null) config = doc.RootElement;
            var (vocab, vocabulary) = ResolveVocabulary(options, doc is null ? null : Text(config, "tokenizer"), tokenizers);
            var expectations = new DatasetExpectations
            {
                VocabSize = vocab,
                Vocabulary = vocabulary,
                PackedLength = kind == DatasetLocator.Mds ? PackCard(full) : null,
            };
            // The config speaks for the formats synthesis wrote, not for data packed or mixed into the same folder.
            string? own = root is null ? null : OwnPath(kind, root, full);
            if (own is null || doc is null || !config.TryGetProperty("target_tokens", out var t))
                return expectations;
            int tokens = t.GetInt32();
            var output = config.TryGetProperty("output", out var o) ? o : default;
            bool addBos = output.ValueKind == JsonValueKind.Object && output.TryGetProperty("add_bos", out var b) && b.GetBoolean();
            bool addEos = output.ValueKind == JsonValueKind.Object && output.TryGetProperty("add_eos", out var e) && e.GetBoolean();
            var (documents, source) = Count(root!, own);
            expectations = expectations with
            {
                TextTokens = tokens,
                SequenceTokens = tokens + (addBos ? 1 : 0) + (addEos ? 1 : 0),
                Bos = addBos ? Int(output, "bos_id") : null,
                Eos = addEos ? Int(output, "eos_id") : null,
                MegatronDType = output.ValueKind == JsonValueKind.Object ? Text(output, "megatron_dtype") : null,
                Documents = documents,
                DocumentsSource = source,
            };
            return kind == DatasetLocator.Megatron && output.ValueKind == JsonValueKind.Object
                && output.TryGetProperty("megatron_tokenizer", out var megatron) && megatron.ValueKind == JsonValueKind.Object
                ? MegatronIds(expectations, megatron, addBos, addEos, options, tokenizers, Text(config, "tokenizer"))
                : expectations;
        }
    }

    // The Megatron files hold the ids of the Megatron tokenizer config.json records (megatron_tokenizer): for
    // TikTokenizer the ranks shifted past its own special tokens, with its eod and bos, not the tokenizer's.
    private static DatasetExpectations MegatronIds(DatasetExpectations expect, JsonElement megatron, bool addBos, bool addEos,
        VerifyOptions options, Dictionary<string, TargetTokenizer?> tokenizers, string? configTokenizer)
    {
        expect = expect with
        {
            Bos = addBos ? Int(megatron, "bos_id") : null,
            Eos = addEos ? Int(megatron, "eod_id") : null,
        };
        int shift = Int(megatron, "shift") ?? 0;
        if (shift == 0 || options.VocabSize is not null)
            return expect;
        var tokenizer = options.Tokenizer ?? (configTokenizer is not null && tokenizers.TryGetValue(configTokenizer, out var loaded) ? loaded : null);
        int? size = Int(megatron, "vocab_size");
        if (tokenizer is not null)
        {
            try
            {
                size = MegatronIdMapping.Create(tokenizer, MegatronTokenizerType.TikToken, shift).VocabularySize;
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"{tokenizer.Name}: cannot check Megatron TikTokenizer ids with it ({e.Message})", e);
            }
        }
        string name = tokenizer?.Name ?? configTokenizer ?? "the tokenizer";
        return size is int v
            ? expect with { VocabSize = v, Vocabulary = $"token ids below {N(v)} ({name} ranks shifted by {N(shift)} for Megatron's TikTokenizer)" }
            : expect with { VocabSize = null, Vocabulary = "token ids not checked against a vocabulary (config.json's megatron_tokenizer records no vocab_size; pass --vocab-size)" };
    }

    // The nearest folder at or above the target with a synthesis config.json.
    private static string? SynthesisRoot(string full)
    {
        for (string? dir = Directory.Exists(full) ? full : Path.GetDirectoryName(full); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, SynthesisStage.ConfigFile)))
                return dir;
        }
        return null;
    }

    /// <summary>
    /// Which of the synthesized dataset's own format paths <paramref name="full"/> is: "" for a whole format, a
    /// domain name for one MDS domain folder, "file" for a single part or Parquet file; null when it is none.
    /// </summary>
    private static string? OwnPath(string kind, string root, string full)
    {
        string[] rel = Path.GetRelativePath(root, full).Split(Path.DirectorySeparatorChar);
        return (kind, rel) switch
        {
            (DatasetLocator.JsonLines, ["."]) => "",
            (DatasetLocator.JsonLines, [var f]) when f.StartsWith("part-", StringComparison.Ordinal) => "file",
            (DatasetLocator.Parquet, [ParquetDatasetWriter.Folder]) => "",
            (DatasetLocator.Parquet, [ParquetDatasetWriter.Folder, _]) => "file",
            (DatasetLocator.Megatron, [MegatronDatasetWriter.Folder, MegatronDatasetWriter.Prefix]) => "",
            (DatasetLocator.Mds, [ProLongMdsWriter.Folder or TextMdsWriter.Folder]) => "",
            (DatasetLocator.Mds, [ProLongMdsWriter.Folder or TextMdsWriter.Folder, var domain]) => domain,
            _ => null,
        };
    }

    // stats.json's count for a whole format or one domain; none for a single file or an unfinished dataset.
    private static (long?, string?) Count(string root, string own)
    {
        string path = Path.Combine(root, SynthesisStage.StatsFile);
        if (own == "file" || Parse(path) is not { } stats)
            return (null, null);
        using (stats)
        {
            var r = stats.RootElement;
            if (own == "")
                return r.TryGetProperty("documents_written", out var n) ? (n.GetInt64(), $"{path} (documents_written)") : (null, null);
            return r.TryGetProperty("documents_per_source", out var per) && per.TryGetProperty(own, out var d)
                ? (d.GetInt64(), $"{path} (documents_per_source.{own})")
                : (null, null);
        }
    }

    private static (int?, string) ResolveVocabulary(VerifyOptions options, string? configTokenizer, Dictionary<string, TargetTokenizer?> tokenizers)
    {
        if (options.VocabSize is int size)
            return (size, $"token ids below {N(size)} (--vocab-size)");
        if (options.Tokenizer is { } given)
            return (TokenizerVocabulary.Size(given), $"token ids below {N(TokenizerVocabulary.Size(given))} ({given.Name})");
        if (configTokenizer is null)
            return (null, "token ids not checked against a vocabulary (no config.json names the tokenizer; pass --tokenizer or --vocab-size)");
        if (!tokenizers.TryGetValue(configTokenizer, out var tokenizer))
        {
            try
            {
                tokenizer = TargetTokenizer.Load(configTokenizer);
            }
            catch (Exception e) when (e is IOException or ArgumentException or InvalidDataException or NotSupportedException)
            {
                tokenizer = null;
            }
            tokenizers[configTokenizer] = tokenizer;
        }
        return tokenizer is null
            ? (null, $"token ids not checked against a vocabulary (tokenizer {configTokenizer} of config.json cannot be loaded here; pass --vocab-size)")
            : (TokenizerVocabulary.Size(tokenizer), $"token ids below {N(TokenizerVocabulary.Size(tokenizer))} ({tokenizer.Name})");
    }

    // `pack` records its lengths only in the card's parameter table: `pack_length` and `min_length`.
    private static (int, int)? PackCard(string dir)
    {
        string card = Path.Combine(dir, DatasetCard.FileName);
        if (!File.Exists(card))
            return null;
        string text = File.ReadAllText(card);
        var max = PackLengthRow().Match(text);
        if (!max.Success)
            return null;
        var min = MinLengthRow().Match(text);
        int packLength = int.Parse(max.Groups[1].Value, CultureInfo.InvariantCulture);
        return (min.Success ? int.Parse(min.Groups[1].Value, CultureInfo.InvariantCulture) : 1, packLength);
    }

    private static JsonDocument? Parse(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    private static string? Text(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\| `pack_length` \| `(\d+)` \|$", RegexOptions.Multiline)]
    private static partial Regex PackLengthRow();

    [GeneratedRegex(@"^\| `min_length` \| `(\d+)` \|$", RegexOptions.Multiline)]
    private static partial Regex MinLengthRow();
}
