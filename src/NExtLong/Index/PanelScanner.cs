using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NExtLong.Index;

/// <summary>
/// Scans runs of panels for a group of up to 8 queries and offers every vector that could enter a query's top-k
/// to its collector. One scanner per thread: it owns the scratch the kernel writes scores into and the buffer a
/// compact tail is widened into, so scanning allocates nothing.
/// </summary>
internal sealed unsafe class PanelScanner : IDisposable
{
    private readonly int _dimension;
    private readonly byte* _tail;
    private readonly float* _scores;
    private readonly float* _lane;

    public PanelScanner(int dimension)
    {
        _dimension = dimension;
        _tail = (byte*)NativeMemory.AlignedAlloc((nuint)(PanelKernel.Lanes * dimension * sizeof(float)), 64);
        _scores = (float*)NativeMemory.AlignedAlloc(PanelKernel.MaxRows * PanelKernel.RowStride * sizeof(float), 64);
        _lane = (float*)NativeMemory.AlignedAlloc(PanelKernel.Lanes * sizeof(float), 64);
    }

    /// <summary>
    /// Scans <paramref name="run"/> for the queries whose (transformed) rows are <paramref name="rows"/>[0..m).
    /// Row r feeds collectors[locals[r]] and is query queryBase + locals[r] for exclusions; when
    /// <paramref name="bias"/> is given, bias[r] is added to every score of row r before it is compared.
    /// </summary>
    public void Scan<TCodec>(float** rows, float* bias, int* locals, int m, in PanelRun run,
        TopKCollector[] collectors, int queryBase, SearchExclusions? exclusions) where TCodec : struct, IPanelCodec
    {
        int d = _dimension;
        int panelBytes = PanelKernel.Lanes * d * TCodec.ElementBytes;
        int full = run.Count / PanelKernel.Lanes;
        int p = 0;
        for (; p + 1 < full; p += 2)
        {
            PanelKernel.Score<TCodec>(rows, m, run.Codes + (long)p * panelBytes, panelBytes, pair: true, d, _scores);
            Offer(2, p * PanelKernel.Lanes, 0xFFFF, bias, locals, m, run, collectors, queryBase, exclusions);
        }
        if (p < full)
        {
            PanelKernel.Score<TCodec>(rows, m, run.Codes + (long)p * panelBytes, panelBytes, pair: false, d, _scores);
            Offer(1, p * PanelKernel.Lanes, 0xFFFF, bias, locals, m, run, collectors, queryBase, exclusions);
        }
        int rest = run.Count - full * PanelKernel.Lanes;
        if (rest == 0) return;
        byte* tail = run.Codes + (long)full * panelBytes;
        if (run.TailStride != PanelKernel.Lanes)
        {
            // A compact tail has its own stride; widen it to a full panel (the unused lanes are masked below).
            int e = TCodec.ElementBytes, from = run.TailStride * e, to = PanelKernel.Lanes * e, bytes = rest * e;
            for (int j = 0; j < d; j++) Buffer.MemoryCopy(tail + (long)j * from, _tail + (long)j * to, bytes, bytes);
            tail = _tail;
        }
        PanelKernel.Score<TCodec>(rows, m, tail, panelBytes, pair: false, d, _scores);
        Offer(1, full * PanelKernel.Lanes, (1u << rest) - 1, bias, locals, m, run, collectors, queryBase, exclusions);
    }

    private void Offer(int panels, int firstPosition, uint lastPanelLanes, float* bias, int* locals, int m, in PanelRun run,
        TopKCollector[] collectors, int queryBase, SearchExclusions? exclusions)
    {
        for (int r = 0; r < m; r++)
        {
            ref var top = ref collectors[locals[r]];
            var add = bias == null ? Vector512<float>.Zero : Vector512.Create(bias[r]);
            for (int v = 0; v < panels; v++)
            {
                var s = Vector512.Load(_scores + r * PanelKernel.RowStride + v * PanelKernel.Lanes);
                if (bias != null) s += add;
                uint valid = v == panels - 1 ? lastPanelLanes : 0xFFFF;
                // >= rather than >: an equal score still enters when its id is lower.
                uint mask = (uint)Vector512.GreaterThanOrEqual(s, Vector512.Create(top.Threshold)).ExtractMostSignificantBits() & valid;
                if (mask == 0) continue;
                s.Store(_lane);
                do
                {
                    int lane = BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    float score = _lane[lane];
                    long id = run.IdAt(firstPosition + v * PanelKernel.Lanes + lane);
                    if (!top.WouldEnter(score, id)) continue;
                    if (exclusions is not null && exclusions.IsExcluded(queryBase + locals[r], id)) continue;
                    top.Push(score, id);
                } while (mask != 0);
            }
        }
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_tail);
        NativeMemory.AlignedFree(_scores);
        NativeMemory.AlignedFree(_lane);
    }
}
