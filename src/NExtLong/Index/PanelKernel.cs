using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NExtLong.Index;

/// <summary>
/// The inner loop of every scan, shaped like a matrix-multiply micro-kernel: up to 8 query rows times one or two
/// panels (16 database vectors each, interleaved by dimension). Per dimension it loads each panel once and
/// broadcasts each query element once, feeding 16 independent fused multiply-adds (with AVX-512; without it, tiles of
/// 4 rows × one panel in 256-bit halves, 8 accumulators, fit the 16 registers). Every lane accumulates one
/// (query, vector) pair in dimension order starting from zero, so a score is bit-identical whichever tile shape,
/// thread or index (flat or IVF) computes it.
/// </summary>
internal static unsafe class PanelKernel
{
    /// <summary>Vectors per panel.</summary>
    public const int Lanes = 16;

    /// <summary>Query rows per call.</summary>
    public const int MaxRows = 8;

    /// <summary>Scores written per row: two panels.</summary>
    public const int RowStride = 2 * Lanes;

    /// <summary>
    /// Scores <paramref name="rows"/>[0..m) against the panel at <paramref name="panel"/> and, when
    /// <paramref name="pair"/>, the one <paramref name="panelBytes"/> after it; score (r, lane) goes to
    /// scores[r * <see cref="RowStride"/> + lane].
    /// </summary>
    public static void Score<TCodec>(float** rows, int m, byte* panel, int panelBytes, bool pair, int d, float* scores)
        where TCodec : struct, IPanelCodec
    {
        if (Vector512.IsHardwareAccelerated) ScoreWide<TCodec>(rows, m, panel, panelBytes, pair, d, scores);
        else ScoreNarrow<TCodec>(rows, m, panel, panelBytes, pair, d, scores);
    }

    /// <summary><see cref="Score"/> in 512-bit tiles: up to 8 rows × 2 panels, 16 accumulators of the 32 AVX-512 registers.</summary>
    internal static void ScoreWide<TCodec>(float** rows, int m, byte* panel, int panelBytes, bool pair, int d, float* scores)
        where TCodec : struct, IPanelCodec
    {
        int r = 0;
        if (pair)
        {
            for (; m - r >= 8; r += 8) Tile<TCodec, Eight, Two>(rows + r, panel, panelBytes, d, scores + r * RowStride);
            if (m - r >= 4) { Tile<TCodec, Four, Two>(rows + r, panel, panelBytes, d, scores + r * RowStride); r += 4; }
            if (m - r >= 2) { Tile<TCodec, Two, Two>(rows + r, panel, panelBytes, d, scores + r * RowStride); r += 2; }
            if (m - r >= 1) Tile<TCodec, One, Two>(rows + r, panel, panelBytes, d, scores + r * RowStride);
        }
        else
        {
            for (; m - r >= 8; r += 8) Tile<TCodec, Eight, One>(rows + r, panel, panelBytes, d, scores + r * RowStride);
            if (m - r >= 4) { Tile<TCodec, Four, One>(rows + r, panel, panelBytes, d, scores + r * RowStride); r += 4; }
            if (m - r >= 2) { Tile<TCodec, Two, One>(rows + r, panel, panelBytes, d, scores + r * RowStride); r += 2; }
            if (m - r >= 1) Tile<TCodec, One, One>(rows + r, panel, panelBytes, d, scores + r * RowStride);
        }
    }

    /// <summary>
    /// <see cref="Score"/> in 256-bit tiles, for machines without AVX-512 (16 vector registers): up to 4 rows × one
    /// panel, 8 accumulators. The wide tile would need 32 there and spill most of them on every dimension. Each lane
    /// still adds the same products in the same order, so the scores are bit for bit those of <see cref="ScoreWide"/>.
    /// </summary>
    internal static void ScoreNarrow<TCodec>(float** rows, int m, byte* panel, int panelBytes, bool pair, int d, float* scores)
        where TCodec : struct, IPanelCodec
    {
        for (int v = 0; v < (pair ? 2 : 1); v++, panel += panelBytes, scores += Lanes)
        {
            int r = 0;
            for (; m - r >= 4; r += 4) NarrowTile<TCodec, Four>(rows + r, panel, d, scores + r * RowStride);
            if (m - r >= 2) { NarrowTile<TCodec, Two>(rows + r, panel, d, scores + r * RowStride); r += 2; }
            if (m - r >= 1) NarrowTile<TCodec, One>(rows + r, panel, d, scores + r * RowStride);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NarrowTile<TCodec, TRows>(float** rows, byte* panel, int d, float* scores)
        where TCodec : struct, IPanelCodec where TRows : struct, IConstant
    {
        int n = TRows.Value;
        float* r0 = rows[0];
        float* r1 = n > 1 ? rows[1] : r0;
        float* r2 = n > 2 ? rows[2] : r0;
        float* r3 = n > 3 ? rows[3] : r0;
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        int step = Lanes * TCodec.ElementBytes, half = step / 2;
        byte* p = panel;
        for (int j = 0; j < d; j++, p += step)
        {
            var x0 = TCodec.LoadHalf(p);
            var x1 = TCodec.LoadHalf(p + half);
            var b = Vector256.Create(r0[j]);
            a00 = Vector256.FusedMultiplyAdd(b, x0, a00);
            a01 = Vector256.FusedMultiplyAdd(b, x1, a01);
            if (n > 1)
            {
                b = Vector256.Create(r1[j]);
                a10 = Vector256.FusedMultiplyAdd(b, x0, a10);
                a11 = Vector256.FusedMultiplyAdd(b, x1, a11);
            }
            if (n > 2)
            {
                b = Vector256.Create(r2[j]);
                a20 = Vector256.FusedMultiplyAdd(b, x0, a20);
                a21 = Vector256.FusedMultiplyAdd(b, x1, a21);
                b = Vector256.Create(r3[j]);
                a30 = Vector256.FusedMultiplyAdd(b, x0, a30);
                a31 = Vector256.FusedMultiplyAdd(b, x1, a31);
            }
        }
        a00.Store(scores);
        a01.Store(scores + Lanes / 2);
        if (n > 1) { a10.Store(scores + RowStride); a11.Store(scores + RowStride + Lanes / 2); }
        if (n > 2)
        {
            a20.Store(scores + 2 * RowStride); a21.Store(scores + 2 * RowStride + Lanes / 2);
            a30.Store(scores + 3 * RowStride); a31.Store(scores + 3 * RowStride + Lanes / 2);
        }
    }

    // Row and panel counts are type parameters so that each tile shape compiles to straight-line code with every
    // accumulator in a register (16 of the 32 vector registers at the widest).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TCodec, TRows, TPanels>(float** rows, byte* panel, int panelBytes, int d, float* scores)
        where TCodec : struct, IPanelCodec where TRows : struct, IConstant where TPanels : struct, IConstant
    {
        bool two = TPanels.Value == 2;
        int n = TRows.Value;
        float* r0 = rows[0];
        float* r1 = n > 1 ? rows[1] : r0;
        float* r2 = n > 2 ? rows[2] : r0;
        float* r3 = n > 3 ? rows[3] : r0;
        float* r4 = n > 4 ? rows[4] : r0;
        float* r5 = n > 5 ? rows[5] : r0;
        float* r6 = n > 6 ? rows[6] : r0;
        float* r7 = n > 7 ? rows[7] : r0;
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default, a20 = default, a21 = default, a30 = default, a31 = default;
        Vector512<float> a40 = default, a41 = default, a50 = default, a51 = default, a60 = default, a61 = default, a70 = default, a71 = default;
        int step = Lanes * TCodec.ElementBytes;
        byte* p = panel;
        for (int j = 0; j < d; j++, p += step)
        {
            var x0 = TCodec.Load(p);
            var x1 = two ? TCodec.Load(p + panelBytes) : default;
            var b = Vector512.Create(r0[j]);
            a00 = Vector512.FusedMultiplyAdd(b, x0, a00);
            if (two) a01 = Vector512.FusedMultiplyAdd(b, x1, a01);
            if (n > 1)
            {
                b = Vector512.Create(r1[j]);
                a10 = Vector512.FusedMultiplyAdd(b, x0, a10);
                if (two) a11 = Vector512.FusedMultiplyAdd(b, x1, a11);
            }
            if (n > 2)
            {
                b = Vector512.Create(r2[j]);
                a20 = Vector512.FusedMultiplyAdd(b, x0, a20);
                if (two) a21 = Vector512.FusedMultiplyAdd(b, x1, a21);
                b = Vector512.Create(r3[j]);
                a30 = Vector512.FusedMultiplyAdd(b, x0, a30);
                if (two) a31 = Vector512.FusedMultiplyAdd(b, x1, a31);
            }
            if (n > 4)
            {
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
        }
        a00.Store(scores);
        if (two) a01.Store(scores + Lanes);
        if (n > 1) { a10.Store(scores + RowStride); if (two) a11.Store(scores + RowStride + Lanes); }
        if (n > 2)
        {
            a20.Store(scores + 2 * RowStride); if (two) a21.Store(scores + 2 * RowStride + Lanes);
            a30.Store(scores + 3 * RowStride); if (two) a31.Store(scores + 3 * RowStride + Lanes);
        }
        if (n > 4)
        {
            a40.Store(scores + 4 * RowStride); if (two) a41.Store(scores + 4 * RowStride + Lanes);
            a50.Store(scores + 5 * RowStride); if (two) a51.Store(scores + 5 * RowStride + Lanes);
            a60.Store(scores + 6 * RowStride); if (two) a61.Store(scores + 6 * RowStride + Lanes);
            a70.Store(scores + 7 * RowStride); if (two) a71.Store(scores + 7 * RowStride + Lanes);
        }
    }

    /// <summary>A count fixed at compile time, so that a tile shape compiles to straight-line code (also <see cref="RowScanner"/>'s).</summary>
    internal interface IConstant
    {
        static abstract int Value { get; }
    }

    internal struct One : IConstant { public static int Value => 1; }

    internal struct Two : IConstant { public static int Value => 2; }

    internal struct Four : IConstant { public static int Value => 4; }

    internal struct Eight : IConstant { public static int Value => 8; }
}
