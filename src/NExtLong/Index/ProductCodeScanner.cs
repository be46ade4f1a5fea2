using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NExtLong.Index;

/// <summary>
/// Scans lists of product-quantized codes for one query by asymmetric distance computation: the query's table of
/// sub-products (<see cref="ProductQuantizer.ComputeTable"/>) is built once, and a code's score is the list's bias
/// (q·centroid) plus the sum of its m table entries. Codes lie in panels of 16 like every IVF list (sub-code j of
/// the 16 vectors together), so one 16-byte load feeds two 8-lane gathers from sub-table j; each lane sums its
/// entries in sub-space order from zero, so a score is the same on every path, thread and batch. One scanner per
/// thread: it owns the table, the widened tail and the lane scratch, so scanning allocates nothing.
/// </summary>
internal sealed unsafe class ProductCodeScanner : IProductCodeScanner
{
    private readonly ProductQuantizer _pq;
    private readonly float* _table;
    private readonly byte* _tail;
    private readonly float* _lane;

    public ProductCodeScanner(ProductQuantizer pq)
    {
        _pq = pq;
        _table = (float*)NativeMemory.AlignedAlloc((nuint)(pq.SubQuantizers * ProductQuantizer.Centroids8 * sizeof(float)), 64);
        _tail = (byte*)NativeMemory.AlignedAlloc((nuint)(PanelKernel.Lanes * pq.SubQuantizers), 64);
        _lane = (float*)NativeMemory.AlignedAlloc(PanelKernel.Lanes * sizeof(float), 64);
    }

    /// <summary>Builds the table of <paramref name="query"/>; later scans score against it.</summary>
    public void Prepare(ReadOnlySpan<float> query)
        => _pq.ComputeTable(query, new Span<float>(_table, _pq.SubQuantizers * ProductQuantizer.Centroids8));

    /// <summary>Nothing to do: every code is scored as it is scanned.</summary>
    public void Complete(int local, TopKCollector[] collectors) { }

    /// <summary>
    /// Scores every code of <paramref name="run"/> as <paramref name="bias"/> + table look-ups and offers those that
    /// could enter collectors[<paramref name="local"/>] (query queryBase + local for exclusions).
    /// </summary>
    public void Scan(float bias, int local, in PanelRun run, TopKCollector[] collectors, int queryBase, SearchExclusions? exclusions)
    {
        int m = _pq.SubQuantizers, panelBytes = PanelKernel.Lanes * m;
        int full = run.Count / PanelKernel.Lanes;
        ref var top = ref collectors[local];
        for (int p = 0; p < full; p++)
            Offer(Score(run.Codes + (long)p * panelBytes, m) + Vector512.Create(bias), p * PanelKernel.Lanes, 0xFFFF, ref top, local, run, queryBase, exclusions);
        int rest = run.Count - full * PanelKernel.Lanes;
        if (rest == 0) return;
        byte* tail = run.Codes + (long)full * panelBytes;
        if (run.TailStride != PanelKernel.Lanes)
        {
            // A compact tail has its own stride; widen it to a full panel (the unused lanes are masked below).
            for (int j = 0; j < m; j++) Buffer.MemoryCopy(tail + (long)j * run.TailStride, _tail + (long)j * PanelKernel.Lanes, rest, rest);
            tail = _tail;
        }
        Offer(Score(tail, m) + Vector512.Create(bias), full * PanelKernel.Lanes, (1u << rest) - 1, ref top, local, run, queryBase, exclusions);
    }

    /// <summary>The 16 table sums of one panel, each accumulated in sub-space order from zero.</summary>
    private Vector512<float> Score(byte* panel, int m)
    {
        float* table = _table;
        if (Avx2.IsSupported)
        {
            Vector256<float> lo = default, hi = default;
            for (int j = 0; j < m; j++, panel += PanelKernel.Lanes, table += ProductQuantizer.Centroids8)
            {
                lo = Avx.Add(lo, Avx2.GatherVector256(table, Avx2.ConvertToVector256Int32(panel), 4));
                hi = Avx.Add(hi, Avx2.GatherVector256(table, Avx2.ConvertToVector256Int32(panel + 8), 4));
            }
            return Vector512.Create(lo, hi);
        }
        float* sums = _lane;
        for (int lane = 0; lane < PanelKernel.Lanes; lane++) sums[lane] = 0;
        for (int j = 0; j < m; j++, panel += PanelKernel.Lanes, table += ProductQuantizer.Centroids8)
            for (int lane = 0; lane < PanelKernel.Lanes; lane++) sums[lane] += table[panel[lane]];
        return Vector512.Load(sums);
    }

    private void Offer(Vector512<float> s, int firstPosition, uint valid, ref TopKCollector top, int local, in PanelRun run,
        int queryBase, SearchExclusions? exclusions)
    {
        // >= rather than >: an equal score still enters when its id is lower.
        uint mask = (uint)Vector512.GreaterThanOrEqual(s, Vector512.Create(top.Threshold)).ExtractMostSignificantBits() & valid;
        if (mask == 0) return;
        s.Store(_lane);
        do
        {
            int lane = BitOperations.TrailingZeroCount(mask);
            mask &= mask - 1;
            float score = _lane[lane];
            long id = run.IdAt(firstPosition + lane);
            if (!top.WouldEnter(score, id)) continue;
            if (exclusions is not null && exclusions.IsExcluded(queryBase + local, id)) continue;
            top.Push(score, id);
        } while (mask != 0);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_table);
        NativeMemory.AlignedFree(_tail);
        NativeMemory.AlignedFree(_lane);
    }
}
