using NExtLong.Index;

namespace NExtLong.Retrieval;

/// <summary>
/// Finds the index chunks most similar to meta-chunks, most similar first: what <see cref="Synthesis.NegativeMiner"/>
/// asks of an index, whichever retriever answers (dense, BM25 or hybrid).
/// </summary>
public interface IChunkRetriever
{
    /// <summary>Which retriever this is: dense, bm25 or hybrid.</summary>
    RetrieverKind Kind { get; }

    /// <summary>Whether queries need the meta-chunks' embeddings (otherwise <c>vectors</c> may be empty and no embedder is needed).</summary>
    bool NeedsVectors { get; }

    /// <summary>
    /// Whether the scores returned are cosine similarities, so that a near-duplicate threshold means something.
    /// </summary>
    bool ScoresAreCosines { get; }

    /// <summary>
    /// Whether results are nested: the k best for a larger k begin with the k best for a smaller one, and excluding
    /// ids only removes them from the list (exact search, BM25; not IVF, which probes further lists for a larger k,
    /// nor hybrid fusion, whose ranks shift). Then one wide search answers every narrower search of the same query,
    /// with or without more exclusions, and <see cref="Synthesis.NegativeMiner"/> fetches widely once instead of
    /// searching again for the negatives earlier meta-chunks claimed.
    /// </summary>
    bool ResultsAreNested => false;

    /// <summary>
    /// Whether one call for many queries costs little more than a call for one (an exact scan reads the database
    /// once for all of them), so that <see cref="Synthesis.NegativeMiner"/> searches a whole batch of documents at
    /// once; BM25's queries each walk their own postings and gain nothing from it.
    /// </summary>
    bool QueriesShareScans => false;

    /// <summary>
    /// For each query q (its text <paramref name="texts"/>[q] and, when <see cref="NeedsVectors"/>, row q of
    /// <paramref name="vectors"/>), writes its k best chunk ids and scores, best first (ties to the lower id), into
    /// row q of <paramref name="ids"/> and <paramref name="scores"/> (each nq × k). Ids <paramref name="exclusions"/>
    /// names are skipped without reducing the number returned; slots past the index's end hold id -1. The search may
    /// use up to <paramref name="threads"/> threads; the results do not depend on it.
    /// </summary>
    void Search(ReadOnlySpan<string> texts, ReadOnlySpan<float> vectors, int k, SearchExclusions exclusions, Span<long> ids, Span<float> scores,
        CancellationToken ct = default, int threads = 1);
}
