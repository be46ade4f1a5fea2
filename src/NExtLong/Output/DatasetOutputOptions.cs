using NExtLong.Output.Megatron;
using NExtLong.Output.Mds;
using NExtLong.Tokenization;

namespace NExtLong.Output;

/// <summary>What a synthesis run writes: the formats, the special tokens of the tokenized ones, MDS shard settings.</summary>
public sealed record DatasetOutputOptions
{
    /// <summary>
    /// The formats written side by side (docs/FORMATS.md); stored deduplicated and sorted, default jsonl.zst only. The
    /// setter throws an <see cref="OptionValidationException"/> for null or an empty list.
    /// </summary>
    public IReadOnlyList<DatasetFormat> Formats
    {
        get;
        init => field = value is { Count: > 0 } ? [.. value.Distinct().Order()] : throw OptionValidationException.OutOfRange(nameof(Formats), "", "at least one format");
    } = [DatasetFormat.JsonlZst];

    /// <summary>Frame tokenized documents with BOS: true, false, or null for "if the tokenizer has one".</summary>
    public bool? AddBos { get; init; }

    /// <summary>Likewise for EOS.</summary>
    public bool? AddEos { get; init; }

    /// <summary>The Megatron-LM tokenizer the "megatron" format's ids are for (<see cref="MegatronIdMapping"/>).</summary>
    public MegatronTokenizerType MegatronTokenizer { get; init; } = MegatronTokenizerType.HuggingFace;

    /// <summary>Megatron's --tiktoken-num-special-tokens for <see cref="MegatronTokenizerType.TikToken"/>; null: its default 1000.</summary>
    public int? MegatronNumSpecialTokens { get; init; }

    /// <summary>Shard size, compression and hashes of the "mds" and "mds-text" formats.</summary>
    public MdsWriterOptions Mds { get; init; } = new();

    /// <summary>Whether a format that writes token ids (mds, megatron) is among <see cref="Formats"/>.</summary>
    public bool Tokenized => Formats.Contains(DatasetFormat.Mds) || Formats.Contains(DatasetFormat.Megatron);

    /// <summary>
    /// Throws an <see cref="OptionValidationException"/> for an unknown format, or BOS/EOS choices without a format
    /// that writes token ids (mds, megatron), or MDS shard settings without an MDS format: they would change nothing.
    /// </summary>
    /// <param name="isSet">Whether the caller set a property by name (a CLI: the flag was given); default: AddBos/AddEos
    /// are not null, Mds differs from the defaults.</param>
    public void Validate(Func<string, bool>? isSet = null)
    {
        foreach (var f in Formats) OptionValidationException.Defined(nameof(Formats), f);
        if (Mds is null) throw OptionValidationException.OutOfRange(nameof(Mds), null, "MDS writer options");
        isSet ??= name => name switch
        {
            nameof(AddBos) => AddBos is not null,
            nameof(AddEos) => AddEos is not null,
            nameof(MdsWriterOptions.SizeLimit) => Mds.SizeLimit != MdsWriterOptions.DefaultSizeLimit,
            nameof(MdsWriterOptions.Compression) => Mds.Compression is not null,
            nameof(MdsWriterOptions.Hashes) => Mds.Hashes.Count > 0,
            _ => false,
        };
        if (!Tokenized)
        {
            const string untokenized = "only the tokenized formats (mds, megatron) write BOS/EOS ids";
            if (isSet(nameof(AddBos))) throw OptionValidationException.Conflict(nameof(AddBos), AddBos, nameof(Formats), FormatList, untokenized);
            if (isSet(nameof(AddEos))) throw OptionValidationException.Conflict(nameof(AddEos), AddEos, nameof(Formats), FormatList, untokenized);
        }
        if (!Formats.Contains(DatasetFormat.Mds) && !Formats.Contains(DatasetFormat.MdsText))
        {
            const string noMds = "only the mds and mds-text formats write MDS shards";
            if (isSet(nameof(MdsWriterOptions.SizeLimit))) throw OptionValidationException.Conflict(nameof(MdsWriterOptions.SizeLimit), Mds.SizeLimit, nameof(Formats), FormatList, noMds);
            if (isSet(nameof(MdsWriterOptions.Compression))) throw OptionValidationException.Conflict(nameof(MdsWriterOptions.Compression), Mds.Compression, nameof(Formats), FormatList, noMds);
            if (isSet(nameof(MdsWriterOptions.Hashes))) throw OptionValidationException.Conflict(nameof(MdsWriterOptions.Hashes), string.Join(",", Mds.Hashes), nameof(Formats), FormatList, noMds);
        }
    }

    private string FormatList => string.Join(",", Formats.Select(DatasetWriterFactory.FormatName));

    /// <summary>The BOS/EOS ids that frame each tokenized document with <paramref name="tokenizer"/>, from <see cref="AddBos"/> and <see cref="AddEos"/>.</summary>
    /// <exception cref="ArgumentException">BOS or EOS is asked for and the tokenizer has none.</exception>
    public SpecialTokenPolicy SpecialTokens(TargetTokenizer tokenizer) => SpecialTokenPolicy.Resolve(tokenizer, AddBos, AddEos);

    /// <summary>The id mapping of the "megatron" format; throws on a combination that means nothing.</summary>
    internal MegatronIdMapping MegatronIds(TargetTokenizer tokenizer) =>
        MegatronIdMapping.Create(tokenizer, MegatronTokenizer, MegatronNumSpecialTokens);

    /// <summary>
    /// The "output" entry of config.json: formats, and for tokenized formats the special tokens and the number
    /// of ids each sequence has (<paramref name="targetTokens"/> text tokens plus the special tokens); for
    /// "megatron" the id mapping: type, shift, eod and bos ids as written, and the vocabulary size they need.
    /// </summary>
    public Dictionary<string, object?> ToConfig(TargetTokenizer tokenizer, int targetTokens)
    {
        var config = new Dictionary<string, object?> { ["formats"] = Formats.Select(DatasetWriterFactory.FormatName).ToList() };
        if (Tokenized)
        {
            var specials = SpecialTokens(tokenizer);
            config["add_bos"] = specials.Bos is not null;
            config["add_eos"] = specials.Eos is not null;
            config["bos_id"] = specials.Bos;
            config["eos_id"] = specials.Eos;
            config["sequence_tokens"] = specials.SequenceLength(targetTokens);
        }
        if (Formats.Contains(DatasetFormat.Mds) || Formats.Contains(DatasetFormat.MdsText))
        {
            config["mds"] = new Dictionary<string, object?>
            {
                ["size_limit"] = Mds.SizeLimit,
                ["compression"] = Mds.Compression,
                ["hashes"] = Mds.Hashes,
            };
        }
        if (Formats.Contains(DatasetFormat.Megatron))
        {
            var megatron = MegatronIds(tokenizer);
            config["megatron_dtype"] = MegatronDatasetWriter.DTypeFor(megatron.VocabularySize).ToString().ToLowerInvariant();
            config["megatron_tokenizer"] = megatron.ToConfig();
        }
        return config;
    }
}
