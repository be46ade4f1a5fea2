using System.Runtime.InteropServices;
using NExtLong.Index;

namespace NExtLong.Tests;

/// <summary>
/// The 256-bit tiles (machines without AVX-512) against the 512-bit ones and against fused multiply-adds in dimension
/// order, bit for bit: both run on any x86-64 machine (a 512-bit vector is two 256-bit halves without AVX-512), so
/// whichever tile a machine picks, every index there gives the scores of every other.
/// </summary>
public unsafe class PanelKernelTests
{
    private const int Lanes = PanelKernel.Lanes;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    public void Narrow_panel_tiles_score_as_the_wide_ones_and_as_fused_dots(int d)
    {
        var rng = new Random(d);
        // Two panels of 16 vectors, interleaved by dimension; each codec's bytes are filled so that they decode to finite values.
        var fp32 = new float[2 * Lanes * d];
        for (int i = 0; i < fp32.Length; i++) fp32[i] = (float)(rng.NextDouble() * 2 - 1);
        var sq8 = new byte[2 * Lanes * d];
        rng.NextBytes(sq8);
        var fp16 = new short[2 * Lanes * d];
        for (int i = 0; i < fp16.Length; i++) fp16[i] = BitConverter.HalfToInt16Bits((Half)(rng.NextDouble() * 4 - 2));
        var queries = new float[PanelKernel.MaxRows * d];
        for (int i = 0; i < queries.Length; i++) queries[i] = (float)(rng.NextDouble() * 2 - 1);
        fixed (float* f = fp32)
        fixed (byte* b = sq8)
        fixed (short* h = fp16)
        fixed (float* q = queries)
        {
            Check<Fp32PanelCodec>((byte*)f, d, q, (panel, lane, j) => fp32[(panel * d + j) * Lanes + lane]);
            Check<Sq8PanelCodec>(b, d, q, (panel, lane, j) => sq8[(panel * d + j) * Lanes + lane]);
            // FP16 panels decode to half × 2^-112 (queries carry 2^112): products of powers of two stay exact.
            Check<Fp16PanelCodec>((byte*)h, d, q, (panel, lane, j) => (float)BitConverter.Int16BitsToHalf(fp16[(panel * d + j) * Lanes + lane]) * 1.92592994e-34f);
        }
    }

    private static void Check<TCodec>(byte* panels, int d, float* queries, Func<int, int, int, float> element) where TCodec : struct, IPanelCodec
    {
        int panelBytes = Lanes * d * TCodec.ElementBytes;
        float** rows = stackalloc float*[PanelKernel.MaxRows];
        for (int r = 0; r < PanelKernel.MaxRows; r++) rows[r] = queries + r * d;
        int size = PanelKernel.MaxRows * PanelKernel.RowStride;
        var wide = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
        var narrow = (float*)NativeMemory.AlignedAlloc((nuint)(size * sizeof(float)), 64);
        try
        {
            foreach (bool pair in new[] { false, true })
            for (int m = 1; m <= PanelKernel.MaxRows; m++)
            {
                new Span<float>(wide, size).Fill(float.NaN);
                new Span<float>(narrow, size).Fill(float.NaN);
                PanelKernel.ScoreWide<TCodec>(rows, m, panels, panelBytes, pair, d, wide);
                PanelKernel.ScoreNarrow<TCodec>(rows, m, panels, panelBytes, pair, d, narrow);
                for (int r = 0; r < m; r++)
                for (int v = 0; v < (pair ? 2 : 1); v++)
                for (int lane = 0; lane < Lanes; lane++)
                {
                    int at = r * PanelKernel.RowStride + v * Lanes + lane;
                    float expected = 0;
                    for (int j = 0; j < d; j++) expected = MathF.FusedMultiplyAdd(rows[r][j], element(v, lane, j), expected);
                    Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(wide[at]),
                        $"{typeof(TCodec).Name} wide m={m} pair={pair} row {r} panel {v} lane {lane}: {wide[at]} vs {expected}");
                    Assert.True(BitConverter.SingleToInt32Bits(wide[at]) == BitConverter.SingleToInt32Bits(narrow[at]),
                        $"{typeof(TCodec).Name} narrow m={m} pair={pair} row {r} panel {v} lane {lane}: {narrow[at]} vs {wide[at]}");
                }
            }
        }
        finally
        {
            NativeMemory.AlignedFree(wide);
            NativeMemory.AlignedFree(narrow);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(100)]
    public void Narrow_row_tiles_score_as_the_wide_ones_and_as_fused_dots(int d)
    {
        var rng = new Random(100 + d);
        const int rows = 8;
        var data = new float[rows * d];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        // Stored row-major rows and two query panels, interleaved by dimension as RowScanner packs them.
        var panels = new float[2 * Lanes * d];
        for (int i = 0; i < panels.Length; i++) panels[i] = (float)(rng.NextDouble() * 2 - 1);
        int size = rows * PanelKernel.RowStride;
        var wide = new float[size];
        var narrow = new float[size];
        fixed (float* x = data)
        fixed (float* p = panels)
        fixed (float* w = wide)
        fixed (float* n = narrow)
        {
            // The row scanner hands its stored rows and query panels to the panel kernel.
            float** rowsOf = stackalloc float*[rows];
            for (int r = 0; r < rows; r++) rowsOf[r] = x + r * d;
            PanelKernel.ScoreWide<Fp32PanelCodec>(rowsOf, rows, (byte*)p, Lanes * d * sizeof(float), pair: true, d, w);
            PanelKernel.ScoreNarrow<Fp32PanelCodec>(rowsOf, rows, (byte*)p, Lanes * d * sizeof(float), pair: true, d, n);
        }
        for (int r = 0; r < rows; r++)
        for (int v = 0; v < 2; v++)
        for (int lane = 0; lane < Lanes; lane++)
        {
            float expected = 0;
            for (int j = 0; j < d; j++) expected = MathF.FusedMultiplyAdd(data[r * d + j], panels[(v * d + j) * Lanes + lane], expected);
            int at = r * PanelKernel.RowStride + v * Lanes + lane;
            Assert.Equal(BitConverter.SingleToInt32Bits(expected), BitConverter.SingleToInt32Bits(wide[at]));
            Assert.Equal(BitConverter.SingleToInt32Bits(wide[at]), BitConverter.SingleToInt32Bits(narrow[at]));
        }
    }
}
