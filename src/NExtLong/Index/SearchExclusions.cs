namespace NExtLong.Index;

/// <summary>
/// Per-query id exclusions. Consulted only for candidates that would enter a query's current top-k, so a
/// virtual call costs nothing on the scan itself.
/// </summary>
public abstract class SearchExclusions
{
    public abstract bool IsExcluded(int query, long id);
}

/// <summary>
/// Excludes, for every query of a batch, id ranges (a document's chunks; several when a corpus repeats the
/// document's id) and a set of ids (negatives already used).
/// </summary>
internal sealed class RangeAndSetExclusions(IReadOnlyList<(long Start, long End)> ranges, IReadOnlySet<long>? ids = null) : SearchExclusions
{
    public RangeAndSetExclusions(long rangeStart, long rangeEnd, IReadOnlySet<long>? ids = null) : this([(rangeStart, rangeEnd)], ids) { }

    public override bool IsExcluded(int query, long id)
    {
        foreach (var (start, end) in ranges)
            if (id >= start && id < end) return true;
        return ids is not null && ids.Contains(id);
    }
}
