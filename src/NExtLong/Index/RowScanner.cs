using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static NExtLong.Index.PanelKernel;

namespace NExtLong.Index;

/// <summary>
/// Exact search straight over the stored row-major vectors, which are never re-laid out: the queries are interleaved
/// into panels of 16 (by dimension, as <see cref="PanelRun"/> interleaves vectors) once per search, and each database
/// row's elements are broadcast against them by <see cref="PanelKernel"/>, 8 rows × 1 or 2 query panels per call (the
/// database rows as the kernel's rows, the query panels as its panels). A score is fused multiply-adds in dimension
/// order from zero, so it has the bits every other index computes. One scanner per thread and chunk of queries: it owns the packed
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
        float** tileRows = stackalloc float*[TileRows];
        for (int r = 0; r < count; r += TileRows)
        {
            int n = Math.Min(TileRows, count - r);
            for (int i = 0; i < n; i++) tileRows[i] = rows + (long)(r + i) * d;
            for (int p = 0; p < _panels; p += 2)
            {
                bool two = p + 1 < _panels;
                PanelKernel.Score<Fp32PanelCodec>(tileRows, n, (byte*)(_packed + (long)p * Lanes * d), Lanes * d * sizeof(float), two, d, _scores);
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

    public void Dispose()
    {
        NativeMemory.AlignedFree(_packed);
        NativeMemory.AlignedFree(_thresholds);
        NativeMemory.AlignedFree(_scores);
    }
}
