using NExtLong.Index;

namespace NExtLong.Retrieval;

/// <summary>Opens the retriever a synthesis asked for over an index, refusing one the index was not built to serve.</summary>
public static class ChunkRetrievers
{
    /// <summary>
    /// The <paramref name="kind"/> retriever over <paramref name="index"/>: dense (its vectors), bm25 (its lexical
    /// index) or hybrid (both, combined by <paramref name="fusion"/>); BM25 scored with <paramref name="scoring"/>'s
    /// settings where given, the index's otherwise.
    /// </summary>
    /// <exception cref="InvalidOperationException">The index was not built to serve <paramref name="kind"/> (see <see cref="RequireServes(ChunkIndex, RetrieverKind)"/>).</exception>
    /// <exception cref="OptionValidationException">A scoring setting is out of range, or given for the dense retriever, which has no BM25.</exception>
    public static IChunkRetriever Open(ChunkIndex index, RetrieverKind kind, HybridFusion fusion = HybridFusion.ReciprocalRank, Bm25Scoring? scoring = null)
    {
        RequireServes(index, kind, fusion, scoring);
        var lexical = index.Lexical is { } built && scoring is not null ? built.WithScoring(scoring) : index.Lexical;
        return kind switch
        {
            RetrieverKind.Dense => new DenseRetriever(index.Vectors),
            RetrieverKind.Bm25 => new Bm25Retriever(lexical!),
            _ => new HybridRetriever(index, lexical!, fusion),
        };
    }

    /// <summary>
    /// As <see cref="RequireServes(ChunkIndex, RetrieverKind)"/>, and refuses a fusion other than the default for a
    /// retriever that is not hybrid, and BM25 scoring settings for the dense retriever: options that would change nothing.
    /// </summary>
    /// <exception cref="InvalidOperationException">The index was not built to serve <paramref name="kind"/>.</exception>
    /// <exception cref="OptionValidationException">An option out of range, or one that means nothing with <paramref name="kind"/>.</exception>
    public static void RequireServes(ChunkIndex index, RetrieverKind kind, HybridFusion fusion, Bm25Scoring? scoring)
    {
        RequireServes(index, kind);
        OptionValidationException.Defined("Hybrid", fusion);
        scoring?.Validate();
        if (kind != RetrieverKind.Hybrid && fusion != HybridFusion.ReciprocalRank)
            throw OptionValidationException.Conflict("Hybrid", fusion.Name(), "Retriever", kind, "it chooses how the hybrid retriever fuses its lists");
        if (kind == RetrieverKind.Dense && scoring is { Any: true })
            throw OptionValidationException.Conflict(scoring.K1 is not null ? "K1" : scoring.B is not null ? "B" : scoring.QueryTerms is not null ? "QueryTerms" : "MinDocFreq",
                "given", "Retriever", kind, "BM25 settings apply to the bm25 and hybrid retrievers");
    }

    /// <summary>Throws, naming the rebuild that would help, unless the index was built to serve <paramref name="kind"/>.</summary>
    public static void RequireServes(ChunkIndex index, RetrieverKind kind)
    {
        if (!index.Retriever.Serves(kind))
            throw new InvalidOperationException($"{index.Directory}: the index was built with --retriever {index.Retriever.Name()} and cannot serve --retriever {kind.Name()}; "
                + $"rebuild it with --retriever {(kind == RetrieverKind.Hybrid ? "hybrid" : kind.Name() + " or hybrid")} (a hybrid index serves all three)");
    }
}
