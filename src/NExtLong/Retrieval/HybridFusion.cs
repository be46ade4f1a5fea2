namespace NExtLong.Retrieval;

/// <summary>How <see cref="HybridRetriever"/> combines BM25 and embeddings.</summary>
internal enum HybridFusion
{
    /// <summary>BM25's top candidates ordered by embedding cosine.</summary>
    Rerank,

    /// <summary>Reciprocal rank fusion of the BM25 and dense top lists.</summary>
    ReciprocalRank,
}
