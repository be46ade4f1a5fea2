namespace NExtLong.Synthesis;

public enum SpanRole
{
    Meta,
    Negative,

    /// <summary>A copy of the meta-chunk in a negative's place (the self-repeat ablation).</summary>
    Repeat,

    /// <summary>A whole short document (the baselines); rank 0 is the anchor, the others follow it.</summary>
    Document,
}

/// <summary>
/// One piece of a synthesized document. Character offsets count Unicode scalar values (Python string indexes)
/// and exclude the separator; token offsets partition [0, T): a span owns the tokens that start inside it or in
/// the separator after it.
/// </summary>
public sealed record DocumentSpan
{
    public required SpanRole Role { get; init; }

    /// <summary>The meta-chunk this span is, or follows as a negative (0-based).</summary>
    public required int MetaChunk { get; init; }

    /// <summary>Index chunk id of a negative; -1 for a meta-chunk or a whole document.</summary>
    public long ChunkId { get; init; } = -1;

    public required string DocumentId { get; init; }

    public required string Source { get; init; }

    /// <summary>1-based similarity rank of a negative among its meta-chunk's negatives; 0 for a meta-chunk.</summary>
    public int Rank { get; init; }

    /// <summary>The retriever's score against its meta-chunk (negatives only): a cosine for dense, BM25 for bm25.</summary>
    public float? Similarity { get; init; }

    public int CharStart { get; init; }

    public int CharEnd { get; init; }

    public int TokenStart { get; init; }

    public int TokenEnd { get; init; }

    /// <summary>True for the last span when the exact-length cut fell inside it.</summary>
    public bool Truncated { get; init; }
}
