using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static NExtLong.Index.PanelKernel;

namespace NExtLong.Index;

/// <summary>
/// Exact search straight over the stored row-major vectors, which are never re-laid out: the queries are interleaved
/// into panels of 16 (by dimension, as <see cref="PanelRun"/> interleaves vectors) once per search, and each database
/// row's elements are broadcast against them, 8 rows × 1 or 2 query panels per tile (up to 16 accumulators in
/// registers; without AVX-512, <see cref="PanelKernel.ScoreNarrow"/>'s tiles of 4 rows × one panel in 256-bit halves). A score is fused multiply-adds in dimension order from zero, the arithmetic of <see cref="PanelKernel"/>,
/// so it has the bits every other index computes. One scanner per thread and chunk of queries: it owns the packed
/// queries, each query's current top-k threshold (so a row is tested against 16 queries in one compare) and the
/// scratch, so scanning allocates nothing.
/// </summary>
internal sealed unsafe class RowScanner : IDisposable
{
    private const int TileRows = 8;

    private readonly int _dimension;
    private readonly int _panels;
    private readonly float* _packed;
    private readonly float* _thresholds;
    private readonly float* _scores;
    private readonly float* _tail;

    /// <param name="queries">Row-major queries, <paramref name="count"/> × <paramref name="dimension"/>.</param>
    /// <param name="count">How many queries.</param>
    /// <param name="dimension">Their dimension d, the stored rows' too.</param>
    public RowScanner(float* queries, int count, int dimension)
    {
        _dimension = dimension;
        _panels = (count + Lanes - 1) / Lanes;
        _packed = (float*)NativeMemory.AlignedAlloc((nuint)((long)_panels * Lanes * dimension * sizeof(float)), 64);
        _thresholds = (float*)NativeMemory.AlignedAlloc((nuint)(_panels * Lanes * sizeof(float)), 64);
        _scores = (float*)NativeMemory.AlignedAlloc(TileRows * RowStride * sizeof(float), 64);
        _tail = (float*)NativeMemory.AlignedAlloc((nuint)(TileRows * dimension * sizeof(float)), 64);
        for (int p = 0; p < _panels; p++)
        {
            float* panel = _packed + (long)p * Lanes * dimension;
            for (int lane = 0; lane < Lanes; lane++)
            {
                int q = p * Lanes + lane;
                for (int j = 0; j < dimension; j++) panel[j * Lanes + lane] = q < count ? queries[(long)q * dimension + j] : 0;
                // Padding lanes score 0 and never pass a threshold of +∞.
                _thresholds[q] = q < count ? float.NegativeInfinity : float.PositiveInfinity;
            }
        }
    }

    /// <summary>
    /// Offers rows [0, <paramref name="count"/>) at <paramref name="rows"/>, ids <paramref name="firstId"/> on, to
    /// the queries' collectors (query q feeds tops[q] and is query queryBase + q for exclusions). The collectors
    /// must be the same ones on every call of this scanner: it keeps their thresholds.
    /// </summary>
    public void Scan(float* rows, int count, long firstId, TopKCollector[] tops, int queryBase, SearchExclusions? exclusions)
    {
        int d = _dimension;
        float** narrowRows = stackalloc float*[TileRows];
        for (int r = 0; r < count; r += TileRows)
        {
            int n = Math.Min(TileRows, count - r);
            float* block = rows + (long)r * d;
            if (n < TileRows)
            {
                // The last rows of a range: a zero-padded copy, so that the tile never reads past the rows it was given.
                new Span<float>(_tail, TileRows * d).Clear();
                Buffer.MemoryCopy(block, _tail, (long)TileRows * d * sizeof(float), (long)n * d * sizeof(float));
                block = _tail;
            }
            for (int p = 0; p < _panels; p += 2)
            {
                float* panel = _packed + (long)p * Lanes * d;
                bool two = p + 1 < _panels;
                if (!Vector512.IsHardwareAccelerated)
                {
                    // With 16 vector registers the 8-row tile would spill: the panel kernel's 256-bit tiles, the rows
                    // broadcast and the query panels as its panels (the same products in the same order).
                    for (int i = 0; i < TileRows; i++) narrowRows[i] = block + (long)i * d;
                    PanelKernel.ScoreNarrow<Fp32PanelCodec>(narrowRows, TileRows, (byte*)panel, Lanes * d * sizeof(float), two, d, _scores);
                }
                else if (two) Tile<Two>(block, panel, d, _scores);
                else Tile<One>(block, panel, d, _scores);
                Offer(n, p, two ? 2 : 1, firstId + r, tops, queryBase, exclusions);
            }
        }
    }

    private void Offer(int rows, int firstPanel, int panels, long firstId, TopKCollector[] tops, int queryBase, SearchExclusions? exclusions)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int v = 0; v < panels; v++)
            {
                float* scores = _scores + i * RowStride + v * Lanes;
                float* thresholds = _thresholds + (firstPanel + v) * Lanes;
                // >= rather than >: an equal score still enters when its id is lower.
                uint mask = (uint)Vector512.GreaterThanOrEqual(Vector512.Load(scores), Vector512.Load(thresholds)).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    int lane = BitOperations.TrailingZeroCount(mask);
                    mask &= mask - 1;
                    int q = (firstPanel + v) * Lanes + lane;
                    long id = firstId + i;
                    ref var top = ref tops[q];
                    if (!top.WouldEnter(scores[lane], id)) continue;
                    if (exclusions is not null && exclusions.IsExcluded(queryBase + q, id)) continue;
                    top.Push(scores[lane], id);
                    thresholds[lane] = top.Threshold;
                }
            }
        }
    }

    // Rows 0–7 of the tile times one or two query panels; score (row r, query lane) goes to scores[r * RowStride + lane].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Tile<TPanels>(float* rows, float* panel, int d, float* scores) where TPanels : struct, IConstant
    {
        bool two = TPanels.Value == 2;
        int panelFloats = Lanes * d;
        float* r0 = rows, r1 = rows + d, r2 = rows + 2 * d, r3 = rows + 3 * d, r4 = rows + 4 * d, r5 = rows + 5 * d, r6 = rows + 6 * d, r7 = rows + 7 * d;
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        float* p = panel;
        for (int j = 0; j < d; j++, p += Lanes)
        {
            var x0 = Vector512.Load(p);
            var x1 = two ? Vector512.Load(p + panelFloats) : default;
            var b = Vector512.Create(r0[j]);
            a00 = Vector512.FusedMultiplyAdd(b, x0, a00);
            if (two) a01 = Vector512.FusedMultiplyAdd(b, x1, a01);
            b = Vector512.Create(r1[j]);
            a10 = Vector512.FusedMultiplyAdd(b, x0, a10);
            if (two) a11 = Vector512.FusedMultiplyAdd(b, x1, a11);
            b = Vector512.Create(r2[j]);
            a20 = Vector512.FusedMultiplyAdd(b, x0, a20);
            if (two) a21 = Vector512.FusedMultiplyAdd(b, x1, a21);
            b = Vector512.Create(r3[j]);
            a30 = Vector512.FusedMultiplyAdd(b, x0, a30);
            if (two) a31 = Vector512.FusedMultiplyAdd(b, x1, a31);
            b = Vector512.Create(r4[j]);
            a40 = Vector512.FusedMultiplyAdd(b, x0, a40);
            if (two) a41 = Vector512.FusedMultiplyAdd(b, x1, a41);
            b = Vector512.Create(r5[j]);
            a50 = Vector512.FusedMultiplyAdd(b, x0, a50);
            if (two) a51 = Vector512.FusedMultiplyAdd(b, x1, a51);
            b = Vector512.Create(r6[j]);
            a60 = Vector512.FusedMultiplyAdd(b, x0, a60);
            if (two) a61 = Vector512.FusedMultiplyAdd(b, x1, a61);
            b = Vector512.Create(r7[j]);
            a70 = Vector512.FusedMultiplyAdd(b, x0, a70);
            if (two) a71 = Vector512.FusedMultiplyAdd(b, x1, a71);
        }
        a00.Store(scores); if (two) a01.Store(scores + Lanes);
        a10.Store(scores + RowStride); if (two) a11.Store(scores + RowStride + Lanes);
        a20.Store(scores + 2 * RowStride); if (two) a21.Store(scores + 2 * RowStride + Lanes);
        a30.Store(scores + 3 * RowStride); if (two) a31.Store(scores + 3 * RowStride + Lanes);
        a40.Store(scores + 4 * RowStride); if (two) a41.Store(scores + 4 * RowStride + Lanes);
        a50.Store(scores + 5 * RowStride); if (two) a51.Store(scores + 5 * RowStride + Lanes);
        a60.Store(scores + 6 * RowStride); if (two) a61.Store(scores + 6 * RowStride + Lanes);
        a70.Store(scores + 7 * RowStride); if (two) a71.Store(scores + 7 * RowStride + Lanes);
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_packed);
        NativeMemory.AlignedFree(_thresholds);
        NativeMemory.AlignedFree(_scores);
        NativeMemory.AlignedFree(_tail);
    }
}
