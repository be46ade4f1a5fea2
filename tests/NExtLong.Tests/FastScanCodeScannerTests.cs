using NExtLong.Index;

namespace NExtLong.Tests;

public class FastScanCodeScannerTests
{
    /// <summary>
    /// Scans every list of <paramref name="index"/> for <paramref name="query"/> with one scanner and returns its top
    /// k; completed once at the end, or after every list as a query that probes further is.
    /// </summary>
    private static (long[] Ids, float[] Scores) ScanAll(IvfIndex index, FastScanCodeScanner scanner, float[] query, int k,
        SearchExclusions? exclusions = null, bool completeEachList = false)
    {
        var collectors = new[] { new TopKCollector(k) };
        scanner.Prepare(query);
        for (int l = 0; l < index.Parameters.Nlist; l++)
        {
            var run = index.Lists.Run(l);
            if (run.Count > 0) scanner.Scan(Bias(index, query, l), 0, run, collectors, 0, exclusions);
            if (completeEachList) scanner.Complete(0, collectors);
        }
        scanner.Complete(0, collectors);
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
    private static (long[] Ids, float[] Scores) Reference(IvfIndex index, float[] data, float[] query, int k, SearchExclusions? exclusions = null)
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
                if (exclusions is not null && exclusions.IsExcluded(0, id)) continue;
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
    public void Every_path_equals_scoring_every_code_with_the_float_table(int d, string spec, int k)
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
            using var simd = new FastScanCodeScanner(index.Codec.Product!, deferred: false);
            using var scalar = new FastScanCodeScanner(index.Codec.Product!, simd: false, deferred: false);
            using var avx2 = new FastScanCodeScanner(index.Codec.Product!, avx512: false, deferred: false);
            using var deferred = new FastScanCodeScanner(index.Codec.Product!, deferred: true);
            using var deferredScalar = new FastScanCodeScanner(index.Codec.Product!, simd: false, deferred: true);
            for (int q = 0; q < 30; q++)
            {
                var query = queries.AsSpan(q * d, d).ToArray();
                var expected = Reference(index, data, query, k);
                foreach (var scanner in new[] { simd, scalar, avx2, deferred, deferredScalar })
                {
                    var actual = ScanAll(index, scanner, query, k);
                    Assert.Equal(expected.Ids, actual.Ids);
                    Assert.Equal(expected.Scores, actual.Scores);
                }
            }
        }
    }

    [Theory]
    [InlineData("IVF8,PQ24x4fs", 40)]
    [InlineData("IVF8,PQ24x4fsr", 64)] // residual codes: the candidates of each list carry its own bias
    [InlineData("IVF3,PQ12x4fs", 700)] // k near the whole index: nearly every code is a candidate
    public void Exclusions_and_completing_list_by_list_still_give_the_exact_top_k(string spec, int k)
    {
        int d = 48;
        var data = IvfIndexTests.ClusteredUnitVectors(2500, d, 20, 121);
        var queries = IvfIndexTests.ClusteredUnitVectors(12, d, 20, 122);
        string dir = TempDir.Create(), path = Path.Combine(dir, "v.ivf");
        using (var built = IvfIndexTests.Build(spec, data, d)) IvfIndexFile.Save(built, path);
        // Compact tails on disk: a kept candidate points into a tail with its own stride.
        using var index = IvfIndexFile.Open(path);
        var exclusions = new RangeAndSetExclusions(100, 400, new HashSet<long>(Enumerable.Range(0, 2500).Where(i => i % 3 == 0).Select(i => (long)i)));
        var scanners = new[] { true, false }.SelectMany(deferred => new[]
        {
            new FastScanCodeScanner(index.Codec.Product!, deferred: deferred),
            new FastScanCodeScanner(index.Codec.Product!, simd: false, deferred: deferred),
        }).ToArray();
        for (int q = 0; q < 12; q++)
        {
            var query = queries.AsSpan(q * d, d).ToArray();
            var expected = Reference(index, data, query, k, exclusions);
            foreach (var scanner in scanners)
                foreach (bool eachList in new[] { false, true })
                {
                    var actual = ScanAll(index, scanner, query, k, exclusions, eachList);
                    Assert.Equal(expected.Ids, actual.Ids);
                    Assert.Equal(expected.Scores, actual.Scores);
                }
        }
        foreach (var scanner in scanners) scanner.Dispose();
    }

    [Fact]
    public void An_index_search_that_defers_scoring_equals_scoring_every_code_and_probes_further_past_exclusions()
    {
        // 128 sub-spaces: the search defers scoring by default.
        int d = 128, k = 20, nq = 8;
        var data = IvfIndexTests.ClusteredUnitVectors(1500, d, 12, 131);
        var queries = IvfIndexTests.ClusteredUnitVectors(nq, d, 12, 132);
        using var index = IvfIndexTests.Build("IVF6,PQ128x4fs", data, d);
        var exclusions = new RangeAndSetExclusions(0, 700, new HashSet<long>(Enumerable.Range(0, 1500).Where(i => i % 2 == 1).Select(i => (long)i)));
        var ids = new long[nq * k];
        var scores = new float[nq * k];
        index.Search(queries, k, ids, scores, new SearchParameters { NProbe = 6, Exclusions = exclusions });
        for (int q = 0; q < nq; q++)
        {
            var expected = Reference(index, data, queries.AsSpan(q * d, d).ToArray(), k, exclusions);
            Assert.Equal(expected.Ids, ids.AsSpan(q * k, k).ToArray());
            Assert.Equal(expected.Scores, scores.AsSpan(q * k, k).ToArray());
        }
        // One list probed, most of it excluded: the query probes further, completing list by list.
        index.Search(queries, k, ids, scores, new SearchParameters { NProbe = 1, Exclusions = exclusions });
        Assert.DoesNotContain(-1L, ids);
        Assert.DoesNotContain(ids, id => exclusions.IsExcluded(0, id));
        for (int q = 0; q < nq; q++) Assert.Equal(k, ids.AsSpan(q * k, k).ToArray().Distinct().Count());
    }

    /// <summary>
    /// Entries chosen so that rounding errs by almost ½ in every sub-space, all one way: with the scale 1 (span 255),
    /// A's entries 100.4999 round down to 100 (its sum reads 32 less than it is), O's 100.5001 and 99.5001 round up
    /// (its sum reads 32 more) and C's are whole. A scores highest (6,431.99), O next (6,431.01), then C (6,431), yet
    /// A has the lowest quantized sum (6,400 against 6,463 and 6,431): a floor or lower bound even 4 units (of a slack
    /// of 33) tighter than the rounding allows drops A.
    /// </summary>
    [Theory]
    [InlineData(0, 1, 2)]
    [InlineData(1, 0, 2)]
    [InlineData(2, 1, 0)]
    [InlineData(17, 3, 30)] // in the second panel, and O in the first
    public unsafe void Codes_whose_rounding_errs_all_one_way_still_give_the_exact_top_k(int c, int o, int a)
    {
        const int m = 64, n = 32, bytes = m / 2;
        float[] entries = [0, 100.4999f, 100, 101, 100.5001f, 99.5001f, 50, 50, 50, 50, 50, 50, 50, 50, 50, 255];
        var codebooks = new float[m * 16];
        for (int j = 0; j < m; j++) entries.CopyTo(codebooks, j * 16);
        var pq = new ProductQuantizer(m, m, codebooks, bits: 4);
        var chosen = new int[n, m]; // 0 (score 0) for the other codes
        for (int j = 0; j < m; j++)
        {
            chosen[c, j] = j < 33 ? 2 : 3;
            chosen[o, j] = j < 63 ? 4 : 5;
            chosen[a, j] = 1;
        }
        // Panels of 16 codes, byte t of the 16 together: sub-code 2t in the low nibble, 2t + 1 in the high one.
        var panels = new byte[n * bytes];
        for (int i = 0; i < n; i++)
            for (int t = 0; t < bytes; t++)
                panels[i / 16 * 16 * bytes + t * 16 + i % 16] = (byte)(chosen[i, 2 * t] | chosen[i, 2 * t + 1] << 4);
        // A's score in the scanner's order: sub-space j into partial sum j mod 4, combined pairwise.
        var sums = new float[4];
        for (int j = 0; j < m; j++) sums[j % 4] += entries[1];
        float expected = sums[0] + sums[1] + (sums[2] + sums[3]);
        var query = Enumerable.Repeat(1f, m).ToArray();
        using var simd = new FastScanCodeScanner(pq, deferred: false);
        using var scalar = new FastScanCodeScanner(pq, simd: false, deferred: false);
        using var deferred = new FastScanCodeScanner(pq, deferred: true);
        using var deferredScalar = new FastScanCodeScanner(pq, simd: false, deferred: true);
        fixed (byte* codes = panels)
        {
            var run = new PanelRun(codes, n, 16, 0);
            foreach (var scanner in new[] { simd, scalar, deferred, deferredScalar })
            {
                var collectors = new[] { new TopKCollector(1) };
                scanner.Prepare(query);
                scanner.Scan(0, 0, run, collectors, 0, null);
                scanner.Complete(0, collectors);
                var (ids, scores) = (new long[1], new float[1]);
                collectors[0].Drain(ids, scores);
                Assert.Equal(a, ids[0]);
                Assert.Equal(expected, scores[0]);
            }
        }
    }

    [Fact]
    public unsafe void Codes_that_all_score_alike_keep_a_bounded_number_of_candidates()
    {
        // Every code the same: no bound parts them, so every one passes the filter while it only looks at bounds.
        const int m = 128, n = 3 * FastScanCodeScanner.MaxKept + 5, k = 10;
        var codebooks = new float[m * 16];
        for (int i = 0; i < codebooks.Length; i++) codebooks[i] = i % 16 * 0.25f;
        var pq = new ProductQuantizer(m, m, codebooks, bits: 4);
        var panels = new byte[(n + 15) / 16 * 16 * (m / 2)];
        Array.Fill(panels, (byte)0x37);
        using var scanner = new FastScanCodeScanner(pq, deferred: true);
        var collectors = new[] { new TopKCollector(k) };
        scanner.Prepare(Enumerable.Repeat(1f, m).ToArray());
        fixed (byte* codes = panels) scanner.Scan(0, 0, new PanelRun(codes, n, 16, 0), collectors, 0, null);
        Assert.True(scanner.KeptCapacity <= FastScanCodeScanner.MaxKept, $"{scanner.KeptCapacity} candidates kept");
        scanner.Complete(0, collectors);
        var (ids, scores) = (new long[k], new float[k]);
        collectors[0].Drain(ids, scores);
        // Equal scores go to the lower ids.
        Assert.Equal(Enumerable.Range(0, k).Select(i => (long)i), ids);
        Assert.All(scores, score => Assert.Equal(scores[0], score));
    }

    [Fact]
    public void Scores_far_from_zero_and_a_zero_query_still_give_the_exact_top_k()
    {
        // Large vectors make the bias dwarf the table spans (float slack matters); a zero query has zero tables.
        int d = 32, k = 12;
        var data = IvfIndexTests.ClusteredUnitVectors(1500, d, 10, 111);
        for (int i = 0; i < data.Length; i++) data[i] = data[i] * 300 + (i % d == 0 ? 5000 : 0);
        using var index = IvfIndexTests.Build("IVF5,PQ16x4fsr", data, d);
        using var scoring = new FastScanCodeScanner(index.Codec.Product!, deferred: false);
        using var deferred = new FastScanCodeScanner(index.Codec.Product!, deferred: true);
        foreach (var query in new[] { data.AsSpan(7 * d, d).ToArray(), new float[d] })
        {
            var expected = Reference(index, data, query, k);
            foreach (var scanner in new[] { scoring, deferred })
            {
                var actual = ScanAll(index, scanner, query, k);
                Assert.Equal(expected.Ids, actual.Ids);
                Assert.Equal(expected.Scores, actual.Scores);
            }
        }
    }
}
