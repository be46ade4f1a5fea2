namespace NExtLong.Index;

/// <summary>
/// Optional settings of one <see cref="IVectorIndex.Search"/> call; without them nothing is excluded and an IVF index
/// uses its own nprobe and refine factor.
/// </summary>
public sealed class SearchParameters
{
    /// <summary>Ids that must not be returned, per query (e.g. the meta-document's own chunks).</summary>
    public SearchExclusions? Exclusions { get; init; }

    /// <summary>Upper bound on threads used for one batched search.</summary>
    public int MaxThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>IVF: lists probed per query (null: the index's default). Ignored by exact indexes.</summary>
    public int? NProbe { get; init; }

    /// <summary>
    /// Stops the search with <see cref="OperationCanceledException"/> soon after cancellation: checked between
    /// database blocks (exact search) or every few lists (IVF), never per vector.
    /// </summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>IVF with RFlat: candidates re-ranked exactly, as a multiple of k (null: the index's default).</summary>
    public int? RefineFactor { get; init; }
}
