namespace NExtLong.Index;

/// <summary>
/// A vector index over unit vectors, searched by inner product (cosine). Like FAISS: train (for indexes that
/// learn a structure), add, search; ids are the 0-based order of addition. Saving and opening live elsewhere
/// (<see cref="VectorIndexFile"/>), so search code knows nothing of files.
/// </summary>
public interface IVectorIndex : IDisposable
{
    /// <summary>The spec string that builds this kind of index, e.g. "Flat".</summary>
    string Spec { get; }

    /// <summary>Components per vector; every added vector and every query has exactly this many.</summary>
    int Dimension { get; }

    /// <summary>Vectors added so far; their ids are 0 to <c>Count - 1</c>.</summary>
    long Count { get; }

    /// <summary>Whether vectors can be added: always for exact indexes, after <see cref="Train"/> for IVF.</summary>
    bool IsTrained { get; }

    /// <summary>Learns the index structure from a sample of row-major vectors (no-op for exact indexes).</summary>
    void Train(ReadOnlySpan<float> sample);

    /// <summary>Appends row-major vectors; their ids continue from <see cref="Count"/>.</summary>
    void Add(ReadOnlySpan<float> vectors);

    /// <summary>
    /// For each row-major query, writes its k best ids and scores, best first (ties broken by lower id), into
    /// row q of <paramref name="ids"/> and <paramref name="scores"/> (each nq × k). Ids excluded by
    /// <see cref="SearchParameters.Exclusions"/> are skipped without reducing the number returned; slots left
    /// over when fewer than k vectors qualify hold id -1 and score -∞. Results do not depend on the thread count.
    /// </summary>
    void Search(ReadOnlySpan<float> queries, int k, Span<long> ids, Span<float> scores, SearchParameters? parameters = null);
}
