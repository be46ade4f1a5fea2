namespace NExtLong.Retrieval;

/// <summary>How hard negatives are retrieved (docs/RETRIEVAL.md): by embedding, by BM25 over the chunks' words, or both fused.</summary>
public enum RetrieverKind
{
    /// <summary>Exact or IVF inner product over chunk embeddings (the paper's retriever).</summary>
    Dense,

    /// <summary>BM25 over the chunks' terms; needs no embedder.</summary>
    Bm25,

    /// <summary>BM25 and dense top lists fused by reciprocal rank; needs both indexes.</summary>
    Hybrid,
}
