using NExtLong.Index;

namespace NExtLong.Tests;

public class FastScanCodeScannerTests
{
    /// <summary>Scans every list of <paramref name="index"/> for <paramref name="query"/> with one scanner and returns its top k.</summary>
    private static (long[] Ids, float[] Scores) ScanAll(IvfIndex index, FastScanCodeScanner scanner, float[] query, int k)
    {
        var collectors = new[] { new TopKCollector(k) };
        scanner.Prepare(query);
        for (int l = 0; l < index.Parameters.Nlist; l++)
        {
            var run = index.Lists.Run(l);
            if (run.Count > 0) scanner.Scan(Bias(index, query, l), 0, run, collectors, 0, null);
        }
        var result = (new long[k], new float[k]);
        collectors[0].Drain(result.Item1, result.Item2);
        return result;
    }

    private static float Bias(IvfIndex index, float[] query, int list)
    {
        int d = index.Dimension;
        if (!index.Codec.ByResidual) return 0;
        var c = index.Centroids.Slice(list * d, d);
        float s = 0;
        for (int j = 0; j < d; j++) s += query[j] * c[j];
        return s;
    }

    /// <summary>
    /// Every vector's code (encoded afresh from <paramref name="data"/>, whatever the stored layout) scored with the
    /// float table (sub-spaces in order from zero, then the bias), best first, ties to the lower id.
    /// </summary>
    private static (long[] Ids, float[] Scores) Reference(IvfIndex index, float[] data, float[] query, int k)
    {
        var pq = index.Codec.Product!;
        int m = pq.SubQuantizers, d = index.Dimension;
        var table = new float[m * 16];
        pq.ComputeTable(query, table);
        var code = new byte[pq.CodeBytes];
        var all = new List<(float Score, long Id)>();
        for (int l = 0; l < index.Parameters.Nlist; l++)
        {
            var run = index.Lists.Run(l);
            float bias = Bias(index, query, l);
            for (int i = 0; i < run.Count; i++)
            {
                long id = run.IdAt(i);
                pq.Encode(data.AsSpan((int)id * d, d), index.Codec.ByResidual ? index.Centroids.Slice(l * d, d) : new float[d], code);
                // Sub-space j into partial sum j mod 4, combined pairwise: the scanner's fixed order.
                var sums = new float[4];
                for (int j = 0; j < m; j++)
                {
                    int b = code[j / 2];
                    sums[j % 4] += table[j * 16 + (j % 2 == 0 ? b & 15 : b >> 4)];
                }
                all.Add((sums[0] + sums[1] + (sums[2] + sums[3]) + bias, id));
            }
        }
        var top = all.OrderByDescending(x => x.Score).ThenBy(x => x.Id).Take(k).ToArray();
        return (top.Select(x => x.Id).ToArray(), top.Select(x => x.Score).ToArray());
    }

    [Theory]
    [InlineData(48, "IVF8,PQ24x4fs", 1)]
    [InlineData(48, "IVF8,PQ24x4fs", 40)]
    [InlineData(48, "IVF8,PQ24x4fsr", 40)] // residual codes: every list has its own bias
    [InlineData(20, "IVF6,PQ5x4fs", 10)] // odd m
    [InlineData(64, "IVF4,PQ64x4fs", 100)] // one dimension per sub-space: wide tables, tight quantization
    public void Avx512_avx2_and_scalar_scans_equal_scoring_every_code_with_the_float_table(int d, string spec, int k)
    {
        var data = IvfIndexTests.ClusteredUnitVectors(2500, d, 20, 101);
        var queries = IvfIndexTests.ClusteredUnitVectors(30, d, 20, 102);
        string dir = TempDir.Create(), path = Path.Combine(dir, "v.ivf");
        using var built = IvfIndexTests.Build(spec, data, d);
        IvfIndexFile.Save(built, path);
        // Built in memory the tails are padded panels; opened from the file they are compact: both layouts.
        using var opened = IvfIndexFile.Open(path);
        foreach (var index in new[] { built, opened })
        {
            using var simd = new FastScanCodeScanner(index.Codec.Product!);
            using var scalar = new FastScanCodeScanner(index.Codec.Product!, simd: false);
            using var avx2 = new FastScanCodeScanner(index.Codec.Product!, avx512: false);
            for (int q = 0; q < 30; q++)
            {
                var query = queries.AsSpan(q * d, d).ToArray();
                var expected = Reference(index, data, query, k);
                foreach (var scanner in new[] { simd, scalar, avx2 })
                {
                    var actual = ScanAll(index, scanner, query, k);
                    Assert.Equal(expected.Ids, actual.Ids);
                    Assert.Equal(expected.Scores, actual.Scores);
                }
            }
        }
    }

    [Fact]
    public void Scores_far_from_zero_and_a_zero_query_still_give_the_exact_top_k()
    {
        // Large vectors make the bias dwarf the table spans (float slack matters); a zero query has zero tables.
        int d = 32, k = 12;
        var data = IvfIndexTests.ClusteredUnitVectors(1500, d, 10, 111);
        for (int i = 0; i < data.Length; i++) data[i] = data[i] * 300 + (i % d == 0 ? 5000 : 0);
        using var index = IvfIndexTests.Build("IVF5,PQ16x4fsr", data, d);
        using var simd = new FastScanCodeScanner(index.Codec.Product!);
        foreach (var query in new[] { data.AsSpan(7 * d, d).ToArray(), new float[d] })
        {
            var expected = Reference(index, data, query, k);
            var actual = ScanAll(index, simd, query, k);
            Assert.Equal(expected.Ids, actual.Ids);
            Assert.Equal(expected.Scores, actual.Scores);
        }
    }
}
