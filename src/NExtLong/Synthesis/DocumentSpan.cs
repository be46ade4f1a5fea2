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
/// <param name="MetaChunk">The meta-chunk this span is, or follows as a negative (0-based).</param>
/// <param name="ChunkId">Index chunk id of a negative; -1 for a meta-chunk.</param>
/// <param name="Rank">1-based similarity rank of a negative among its meta-chunk's negatives; 0 for a meta-chunk.</param>
/// <param name="Similarity">Inner product with its meta-chunk (negatives only).</param>
/// <param name="Truncated">True for the last span when the exact-length cut fell inside it.</param>
public sealed record DocumentSpan(
    SpanRole Role,
    int MetaChunk,
    long ChunkId,
    string DocumentId,
    string Source,
    int Rank,
    float? Similarity,
    int CharStart,
    int CharEnd,
    int TokenStart,
    int TokenEnd,
    bool Truncated);
