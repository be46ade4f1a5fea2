namespace NExtLong.Index;

/// <summary>
/// The queries of several meta-documents searched together: queries [firstQuery[g], firstQuery[g + 1]) belong to
/// meta-document g and exclude its own chunks, ranges[g]. Every meta-document has at least one query, so
/// <paramref name="firstQuery"/> increases strictly.
/// </summary>
internal sealed class DocumentBatchExclusions(int[] firstQuery, IReadOnlyList<(long Start, long End)>[] ranges) : SearchExclusions
{
    public override bool IsExcluded(int query, long id)
    {
        int g = Array.BinarySearch(firstQuery, query);
        if (g < 0) g = ~g - 1;
        foreach (var (start, end) in ranges[g])
            if (id >= start && id < end) return true;
        return false;
    }
}
