namespace NExtLong.Retrieval;

/// <summary>How the hybrid retriever combines BM25 and embeddings (docs/RETRIEVAL.md measures both).</summary>
public enum HybridFusion
{
    /// <summary>Reciprocal rank fusion of the BM25 and dense top lists (the default: measured better on same-document P@1).</summary>
    ReciprocalRank,

    /// <summary>BM25's top candidates ordered by embedding cosine.</summary>
    Rerank,
}
