using NExtLong.Tokenization;

namespace NExtLong.Inspection;

/// <summary>What <see cref="DatasetVerifier"/> checks beyond what the dataset itself records.</summary>
public sealed record VerifyOptions
{
    /// <summary>Token ids must be below this; wins over <see cref="Tokenizer"/> and the dataset's config.json.</summary>
    public int? VocabSize { get; init; }

    /// <summary>Token ids must be below its vocabulary size; wins over the tokenizer named in config.json.</summary>
    public TargetTokenizer? Tokenizer { get; init; }

    /// <summary>
    /// Only what indexes, headers and footers say (file sizes, offsets, counts, lengths): no pass over the data,
    /// so no hashes, ids or spans. What `inspect --quick` runs.
    /// </summary>
    public bool Quick { get; init; }
}
