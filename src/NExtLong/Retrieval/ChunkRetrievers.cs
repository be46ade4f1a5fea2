using NExtLong.Index;

namespace NExtLong.Retrieval;

/// <summary>Opens the retriever a synthesis asked for over an index, refusing one the index was not built to serve.</summary>
public static class ChunkRetrievers
{
    /// <summary>
    /// The <paramref name="kind"/> retriever over <paramref name="index"/>: dense (its vectors), bm25 (its lexical
    /// index) or hybrid (both, fused by reciprocal rank).
    /// </summary>
    /// <exception cref="InvalidOperationException">The index was not built to serve <paramref name="kind"/> (see <see cref="RequireServes"/>).</exception>
    public static IChunkRetriever Open(ChunkIndex index, RetrieverKind kind)
    {
        RequireServes(index, kind);
        return kind switch
        {
            RetrieverKind.Dense => new DenseRetriever(index.Vectors),
            RetrieverKind.Bm25 => new Bm25Retriever(index.Lexical!),
            _ => new HybridRetriever(index, index.Lexical!),
        };
    }

    /// <summary>Throws, naming the rebuild that would help, unless the index was built to serve <paramref name="kind"/>.</summary>
    public static void RequireServes(ChunkIndex index, RetrieverKind kind)
    {
        if (!index.Retriever.Serves(kind))
            throw new InvalidOperationException($"{index.Directory}: the index was built with --retriever {index.Retriever.Name()} and cannot serve --retriever {kind.Name()}; "
                + $"rebuild it with --retriever {(kind == RetrieverKind.Hybrid ? "hybrid" : kind.Name() + " or hybrid")} (a hybrid index serves all three)");
    }
}
