namespace NExtLong.Index;

/// <summary>
/// Per-query id exclusions. Consulted only for candidates that would enter a query's current top-k, so a
/// virtual call costs nothing on the scan itself.
/// </summary>
public abstract class SearchExclusions
{
    /// <summary>Whether <paramref name="id"/> must not be returned for query row <paramref name="query"/> (0-based within the batch).</summary>
    /// <remarks>Called from several search threads at once, so implementations must be safe for concurrent reads.</remarks>
    public abstract bool IsExcluded(int query, long id);
}

/// <summary>
/// Excludes, for every query of a batch, id ranges (a document's chunks; several when a corpus repeats the
/// document's id) and a set of ids (negatives already used).
/// </summary>
internal sealed class RangeAndSetExclusions(IReadOnlyList<(long Start, long End)> ranges, IReadOnlySet<long>? ids = null) : SearchExclusions
{
    // An array, so the check allocates no enumerator: it runs for every candidate that would enter a top k.
    private readonly (long Start, long End)[] _ranges = [.. ranges];

    public RangeAndSetExclusions(long rangeStart, long rangeEnd, IReadOnlySet<long>? ids = null) : this([(rangeStart, rangeEnd)], ids) { }

    public override bool IsExcluded(int query, long id)
    {
        foreach (var (start, end) in _ranges)
            if (id >= start && id < end) return true;
        return ids is not null && ids.Contains(id);
    }
}
