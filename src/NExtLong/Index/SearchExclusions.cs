namespace NExtLong.Index;

/// <summary>
/// Per-query id exclusions. Consulted only for candidates that would enter a query's current top-k, so a
/// virtual call costs nothing on the scan itself.
/// </summary>
public abstract class SearchExclusions
{
    public abstract bool IsExcluded(int query, long id);
}

/// <summary>Excludes, for every query of a batch, one id range (a document's chunks) and a set of ids (negatives already used).</summary>
public sealed class RangeAndSetExclusions(long rangeStart, long rangeEnd, IReadOnlySet<long>? ids = null) : SearchExclusions
{
    public override bool IsExcluded(int query, long id)
        => (id >= rangeStart && id < rangeEnd) || (ids is not null && ids.Contains(id));
}
