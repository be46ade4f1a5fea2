namespace NExtLong.Synthesis;

/// <summary>What a <see cref="DocumentSpan"/> of a synthesized document is.</summary>
public enum SpanRole
{
    /// <summary>A meta-chunk m_i of the meta-document (paper Eq. 4), in its original order.</summary>
    Meta,

    /// <summary>A hard negative n_ij: a corpus chunk retrieved for the meta-chunk it follows.</summary>
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
    /// <summary>Whether the span is a meta-chunk, a hard negative, a repeated meta-chunk or a whole document.</summary>
    public required SpanRole Role { get; init; }

    /// <summary>The meta-chunk this span is, or follows as a negative (0-based).</summary>
    public required int MetaChunk { get; init; }

    /// <summary>Index chunk id of a negative; -1 for a meta-chunk or a whole document.</summary>
    public long ChunkId { get; init; } = -1;

    /// <summary>The id of the corpus document the span's text comes from: the meta-document, or the negative's document.</summary>
    public required string DocumentId { get; init; }

    /// <summary>The name of the corpus source that document was read from.</summary>
    public required string Source { get; init; }

    /// <summary>1-based similarity rank of a negative among its meta-chunk's negatives; 0 for a meta-chunk.</summary>
    public int Rank { get; init; }

    /// <summary>The retriever's score against its meta-chunk (negatives only): a cosine for dense, BM25 for bm25.</summary>
    public float? Similarity { get; init; }

    /// <summary>
    /// The embedding cosine of a negative with its meta-chunk where <see cref="Similarity"/> is not one: a bm25
    /// synthesis over an index that holds vectors (hybrid), for a meta-document the index holds chunk for chunk. Null
    /// otherwise: the similarity is already the cosine (dense, hybrid, the baselines), or there are no vectors.
    /// </summary>
    public float? Cosine { get; init; }

    /// <summary>Where the span starts in the synthesized text, in Unicode scalar values (a Python string index).</summary>
    public int CharStart { get; init; }

    /// <summary>Where the span ends (exclusive) in the synthesized text, in Unicode scalar values, before the separator.</summary>
    public int CharEnd { get; init; }

    /// <summary>The span's first token in the document's T target-tokenizer tokens (0-based).</summary>
    public int TokenStart { get; init; }

    /// <summary>One past the span's last token; the next span's <see cref="TokenStart"/>, or T for the last span.</summary>
    public int TokenEnd { get; init; }

    /// <summary>True for the last span when the exact-length cut fell inside it.</summary>
    public bool Truncated { get; init; }
}
