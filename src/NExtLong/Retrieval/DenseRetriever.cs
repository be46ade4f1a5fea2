using NExtLong.Index;

namespace NExtLong.Retrieval;

/// <summary>The paper's retriever: inner product over the index's chunk embeddings (Flat or IVF).</summary>
internal sealed class DenseRetriever(IVectorIndex vectors) : IChunkRetriever
{
    public RetrieverKind Kind => RetrieverKind.Dense;

    public bool NeedsVectors => true;

    public bool ScoresAreCosines => true;

    public bool ResultsAreNested => vectors is FlatIndex;

    public bool QueriesShareScans => vectors is FlatIndex;

    public void Search(ReadOnlySpan<string> texts, ReadOnlySpan<float> vectorRows, int k, SearchExclusions exclusions, Span<long> ids, Span<float> scores,
        CancellationToken ct = default, int threads = 1)
        => vectors.Search(vectorRows, k, ids, scores, new SearchParameters { MaxThreads = threads, Exclusions = exclusions, Cancellation = ct });
}
