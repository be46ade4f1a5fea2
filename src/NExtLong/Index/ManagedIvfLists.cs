namespace NExtLong.Index;

/// <summary>
/// Growable in-memory lists. Codes are kept interleaved in panels of 16 (the tail padded to a full panel), so
/// they are searched in place; buffers live on the pinned heap so that scans can hold pointers into them. Lists
/// share no state, so different lists may be appended to from different threads at once.
/// </summary>
internal sealed unsafe class ManagedIvfLists(int lists, int elementBytes, int dimension) : IvfLists
{
    private readonly byte[][] _codes = Enumerable.Repeat(Array.Empty<byte>(), lists).ToArray();
    private readonly long[][] _ids = Enumerable.Repeat(Array.Empty<long>(), lists).ToArray();
    private readonly int[] _counts = new int[lists];
    private readonly int _panelBytes = PanelKernel.Lanes * dimension * elementBytes;

    public override int Count(int list) => _counts[list];

    public override PanelRun Run(int list)
    {
        // Pinned arrays never move, so the pointers stay valid while the arrays are referenced here.
        fixed (byte* codes = _codes[list])
        fixed (long* ids = _ids[list])
            return new PanelRun(codes, _counts[list], PanelKernel.Lanes, 0, ids64: ids);
    }

    /// <summary>Appends one vector's row-major <paramref name="code"/> to <paramref name="list"/>.</summary>
    public void Append(int list, ReadOnlySpan<byte> code, long id)
    {
        int count = _counts[list];
        if (count == _ids[list].Length) Grow(list);
        _ids[list][count] = id;
        int e = elementBytes, lane = count % PanelKernel.Lanes;
        fixed (byte* panel = &_codes[list][count / PanelKernel.Lanes * _panelBytes])
        fixed (byte* src = code)
        {
            byte* dst = panel + lane * e;
            switch (e)
            {
                case 1:
                    for (int j = 0; j < dimension; j++) dst[j * PanelKernel.Lanes] = src[j];
                    break;
                case 2:
                    for (int j = 0; j < dimension; j++) ((ushort*)dst)[j * PanelKernel.Lanes] = ((ushort*)src)[j];
                    break;
                default:
                    for (int j = 0; j < dimension; j++) ((uint*)dst)[j * PanelKernel.Lanes] = ((uint*)src)[j];
                    break;
            }
        }
        _counts[list] = count + 1;
    }

    /// <summary>
    /// Makes room for <paramref name="more"/> further vectors in <paramref name="list"/> at once, at least doubling
    /// what it has: an add that knows its lists' shares grows each list once, not through every power of two.
    /// </summary>
    public void Reserve(int list, int more)
    {
        long needed = (long)_counts[list] + more;
        if (needed > _ids[list].Length) Grow(list, (int)((needed + PanelKernel.Lanes - 1) / PanelKernel.Lanes));
    }

    private void Grow(int list, int atLeastPanels = 1)
    {
        int panels = Math.Max(atLeastPanels, _ids[list].Length / PanelKernel.Lanes * 2);
        var codes = GC.AllocateArray<byte>(panels * _panelBytes, pinned: true);
        var ids = GC.AllocateArray<long>(panels * PanelKernel.Lanes, pinned: true);
        _codes[list].CopyTo(codes, 0);
        _ids[list].CopyTo(ids, 0);
        _codes[list] = codes;
        _ids[list] = ids;
    }
}
