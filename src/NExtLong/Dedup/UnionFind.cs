namespace NExtLong.Dedup;

/// <summary>
/// Connected components of documents 0..n−1 in which the smallest member is always the root: a union makes the
/// larger root point to the smaller. Components and their minima are unique, so the roots — the copies kept — are
/// the first documents in input order whatever order the edges come in (bands, units, ranks). Path halving keeps
/// finds short; 4 bytes per document.
/// </summary>
internal sealed class UnionFind
{
    private readonly int[] _parent;

    public UnionFind(int count)
    {
        _parent = new int[count];
        for (int i = 0; i < count; i++) _parent[i] = i;
    }

    public int Count => _parent.Length;

    public int Find(int x)
    {
        while (_parent[x] != x)
        {
            _parent[x] = _parent[_parent[x]];
            x = _parent[x];
        }
        return x;
    }

    /// <summary>Joins the components of <paramref name="a"/> and <paramref name="b"/>; false when they were one already.</summary>
    public bool Union(int a, int b)
    {
        int ra = Find(a), rb = Find(b);
        if (ra == rb) return false;
        if (ra < rb) _parent[rb] = ra;
        else _parent[ra] = rb;
        return true;
    }
}
