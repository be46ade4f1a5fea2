using NExtLong.Index;

namespace NExtLong.Tests;

public class IvfIndexTests
{
    /// <summary>Unit vectors around <paramref name="clusters"/> random centres, like text embeddings are: IVF's intended use.</summary>
    internal static float[] ClusteredUnitVectors(int n, int d, int clusters, int seed, float spread = 0.35f)
    {
        var centres = FlatIndexTests.RandomUnitVectors(clusters, d, seed);
        var noise = FlatIndexTests.RandomUnitVectors(n, d, seed + 1);
        var rng = new Random(seed + 2);
        var v = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            int c = rng.Next(clusters);
            double norm = 0;
            for (int j = 0; j < d; j++)
            {
                float x = centres[c * d + j] + spread * noise[i * d + j];
                v[i * d + j] = x;
                norm += x * x;
            }
            for (int j = 0; j < d; j++) v[i * d + j] /= (float)Math.Sqrt(norm);
        }
        return v;
    }

    internal static IvfIndex Build(string spec, float[] data, int d, int threads = 2)
    {
        var index = new IvfIndex(d, IvfSpec.Parse(spec), threads);
        index.Train(data);
        index.Add(data.AsSpan(0, data.Length / 2 / d * d));
        index.Add(data.AsSpan(data.Length / 2 / d * d));
        return index;
    }

    internal static double Recall(long[] expected, long[] actual, int nq, int k)
    {
        long hits = 0;
        for (int q = 0; q < nq; q++)
        {
            var truth = new HashSet<long>(expected.AsSpan(q * k, k).ToArray());
            foreach (long id in actual.AsSpan(q * k, k)) if (truth.Contains(id)) hits++;
        }
        return (double)hits / (nq * k);
    }

    [Theory]
    [InlineData(24, 1, 41)] // 24 dimensions: panels with a partial last step of nothing special; 1 thread
    [InlineData(100, 3, 41)]
    [InlineData(24, 1, 300)] // 300 queries on one thread: ≥ 8 per list, so every query's nearest list is scanned first
    public void Probing_every_list_of_float_storage_equals_the_flat_index_exactly(int d, int threads, int nq)
    {
        var data = FlatIndexTests.RandomUnitVectors(3000, d, 11);
        var queries = FlatIndexTests.RandomUnitVectors(nq, d, 12);
        int k = 37;
        using var ivf = Build("IVF16,Flat", data, d, threads);
        using var flat = new FlatIndex(d);
        flat.Add(data);
        var exclusions = new RangeAndSetExclusions(100, 400, new HashSet<long>(Enumerable.Range(0, 3000).Where(i => i % 7 == 0).Select(i => (long)i)));
        foreach (var excluded in new[] { null, exclusions })
        {
            var (ids, scores) = (new long[nq * k], new float[nq * k]);
            var (expectedIds, expectedScores) = (new long[nq * k], new float[nq * k]);
            ivf.Search(queries, k, ids, scores, new SearchParameters { NProbe = 16, MaxThreads = threads, Exclusions = excluded });
            flat.Search(queries, k, expectedIds, expectedScores, new SearchParameters { Exclusions = excluded });
            Assert.Equal(expectedIds, ids);
            Assert.Equal(expectedScores, scores);
        }
    }

    [Theory]
    [InlineData("IVF32,Flat", 0.95)]
    [InlineData("IVF32,FP16", 0.95)]
    [InlineData("IVF32,SQ8", 0.85)]
    [InlineData("IVF32,SQ8,RFlat", 0.95)]
    [InlineData("IVF32,PQ24", 0.75)] // 2 components per byte
    [InlineData("IVF32,PQ12", 0.4)] // 4 components per byte: 1/16 of float32
    [InlineData("IVF32,PQ12,RFlat,kfactor=8", 0.95)]
    [InlineData("IVF32,PQ48x4fs", 0.55)] // 4-bit fast scan of the vectors (as FAISS), 24 bytes (measured 0.595; PQ24 0.751)
    [InlineData("IVF32,PQ24x4fs", 0.3)] // 12 bytes, as PQ12 (measured 0.330; PQ12 0.468)
    [InlineData("IVF32,PQ24x4fs,RFlat,kfactor=8", 0.95)]
    [InlineData("IVF32,PQ48x4fsr", 0.65)] // residual codes (measured 0.716): better on clustered data
    public void Recall_against_the_exact_index_on_clustered_data(string spec, double minimum)
    {
        int d = 48, k = 20, nq = 100;
        var data = ClusteredUnitVectors(6000, d, 40, 21);
        var queries = ClusteredUnitVectors(nq, d, 40, 21).AsSpan(0, nq * d).ToArray();
        using var ivf = Build(spec, data, d);
        using var flat = new FlatIndex(d);
        flat.Add(data);
        var exact = new long[nq * k];
        flat.Search(queries, k, exact, new float[nq * k]);
        var ids = new long[nq * k];
        var scores = new float[nq * k];
        ivf.Search(queries, k, ids, scores, new SearchParameters { NProbe = 8 });
        double recall = Recall(exact, ids, nq, k);
        Assert.True(recall >= minimum, $"{spec}: recall@{k} {recall:F3} < {minimum}");
        for (int q = 0; q < nq; q++)
            for (int j = 1; j < k; j++) Assert.True(scores[q * k + j] <= scores[q * k + j - 1], "results are not best first");
    }

    [Theory]
    [InlineData("IVF24,SQ8")]
    [InlineData("IVF24,FP16,RFlat")]
    [InlineData("IVF24,PQ10")]
    [InlineData("IVF24,PQ10x4fs")]
    [InlineData("IVF24,PQ5x4fsr,RFlat")]
    public void Answers_do_not_depend_on_the_thread_count(string spec)
    {
        int d = 40, k = 25, nq = 300;
        var data = ClusteredUnitVectors(4000, d, 30, 31);
        var queries = FlatIndexTests.RandomUnitVectors(nq, d, 32);
        using var one = Build(spec, data, d, threads: 1);
        using var three = Build(spec, data, d, threads: 3);
        Assert.Equal(one.Centroids.ToArray(), three.Centroids.ToArray());
        var a = (new long[nq * k], new float[nq * k]);
        var b = (new long[nq * k], new float[nq * k]);
        one.Search(queries, k, a.Item1, a.Item2, new SearchParameters { MaxThreads = 1, NProbe = 5 });
        three.Search(queries, k, b.Item1, b.Item2, new SearchParameters { MaxThreads = 3, NProbe = 5 });
        Assert.Equal(a.Item1, b.Item1);
        Assert.Equal(a.Item2, b.Item2);
        // A query's answer does not depend on which other queries share its batch.
        var single = (new long[k], new float[k]);
        one.Search(queries.AsSpan(77 * d, d), k, single.Item1, single.Item2, new SearchParameters { NProbe = 5 });
        Assert.Equal(a.Item1.AsSpan(77 * k, k).ToArray(), single.Item1);
    }

    [Theory]
    [InlineData("IVF40,SQ8")]
    [InlineData("IVF40,PQ8")]
    [InlineData("IVF40,PQ8x4fs")]
    public void Exclusions_never_cost_results_even_when_they_empty_the_probed_lists(string spec)
    {
        int d = 16, k = 30, nq = 20;
        var data = ClusteredUnitVectors(2000, d, 10, 41);
        var queries = ClusteredUnitVectors(nq, d, 10, 42);
        using var ivf = Build(spec, data, d);
        // Exclude half of everything: with nprobe 1 a query's own list cannot supply k results on its own.
        var used = new HashSet<long>(Enumerable.Range(0, 2000).Where(i => i % 2 == 1).Select(i => (long)i));
        var exclusions = new RangeAndSetExclusions(0, 600, used);
        var ids = new long[nq * k];
        ivf.Search(queries, k, ids, new float[nq * k], new SearchParameters { NProbe = 1, Exclusions = exclusions });
        Assert.DoesNotContain(-1L, ids);
        Assert.DoesNotContain(ids, id => exclusions.IsExcluded(0, id));
        for (int q = 0; q < nq; q++) Assert.Equal(k, ids.AsSpan(q * k, k).ToArray().Distinct().Count());
    }

    [Fact]
    public void Fewer_vectors_than_k_pads_with_minus_one()
    {
        var data = FlatIndexTests.RandomUnitVectors(40, 8, 51);
        using var ivf = Build("IVF4,Flat", data, 8);
        var ids = new long[64];
        var scores = new float[64];
        ivf.Search(data.AsSpan(0, 8), 64, ids, scores, new SearchParameters { NProbe = 1 });
        Assert.Equal(40, ids.Count(i => i >= 0));
        Assert.All(ids.Skip(40), i => Assert.Equal(-1, i));
        Assert.All(scores.Skip(40), s => Assert.Equal(float.NegativeInfinity, s));
    }

    [Fact]
    public void Shards_take_global_ids()
    {
        int d = 12;
        var data = ClusteredUnitVectors(900, d, 6, 61);
        using var trained = new IvfIndex(d, IvfSpec.Parse("IVF8,Flat"));
        trained.Train(data);
        using var shard = trained.CreateShard(1_000_000);
        shard.Add(data.AsSpan(0, 300 * d));
        var ids = new long[5];
        shard.Search(data.AsSpan(7 * d, d), 5, ids, new float[5], new SearchParameters { NProbe = 8 });
        Assert.Equal(1_000_007, ids[0]);
        Assert.All(ids, id => Assert.InRange(id, 1_000_000, 1_000_299));
    }

    [Theory]
    [InlineData("IVF4096,SQ8", "IVF4096,SQ8")]
    [InlineData(" ivf1024 , sqfp16 , rflat ", "IVF1024,FP16,RFlat")]
    [InlineData("IVF,Flat,nprobe=12", "IVF,Flat,nprobe=12")]
    [InlineData("IVF256,SQ8,RFlat,kfactor=4,nprobe=32", "IVF256,SQ8,RFlat,nprobe=32,kfactor=4")]
    [InlineData("ivf65536,pq32x8", "IVF65536,PQ32")]
    [InlineData("IVF,PQ50,RFlat", "IVF,PQ50,RFlat")]
    [InlineData("ivf1024,pq32X4FS,rflat,kfactor=4", "IVF1024,PQ32x4fs,RFlat,kfactor=4")]
    [InlineData("IVF1024,PQ32x4fs", "IVF1024,PQ32x4fs")]
    [InlineData("IVF64,pq8X4FSR", "IVF64,PQ8x4fsr")]
    public void Specs_parse_to_canonical_form(string spec, string canonical)
        => Assert.Equal(canonical, IvfSpec.Parse(spec).ToString());

    [Theory]
    [InlineData("IVF")]
    [InlineData("IVF0,Flat")]
    [InlineData("IVF2000000,Flat")]
    [InlineData("IVF64,PQ")]
    [InlineData("IVF64,PQ0")]
    [InlineData("IVF64,PQ16x4")]
    [InlineData("IVF64,PQ16x4f")]
    [InlineData("IVF64,PQx4fs")]
    [InlineData("IVF64,PQ0x4fs")]
    [InlineData("IVF64,PQ5000x4fs")]
    [InlineData("IVF64,PQ16x4fsx8")]
    [InlineData("IVF64,PQ16x4fsrr")]
    [InlineData("IVF64,PQ9999")]
    [InlineData("IVF64,SQ8,HNSW")]
    [InlineData("IVF64,SQ8,nprobe=0")]
    public void Bad_specs_are_clear_errors(string spec)
        => Assert.Contains("invalid index spec", Assert.Throws<ArgumentException>(() => IvfSpec.Parse(spec)).Message);

    [Fact]
    public void Factory_builds_ivf_and_chooses_nlist_from_the_vector_count()
    {
        using var ivf = Assert.IsType<IvfIndex>(VectorIndexFactory.Create("IVF,SQ8", 16, 1_000_000));
        Assert.Equal(4096, ivf.Parameters.Nlist);
        Assert.Equal("IVF4096,SQ8,nprobe=512", ivf.Spec);
        Assert.Contains("nlist", Assert.Throws<ArgumentException>(() => VectorIndexFactory.Create("IVF,SQ8", 16)).Message);
        Assert.Equal(2048, IvfSpec.DefaultNlist(200_000));
        Assert.Equal(16384, IvfSpec.DefaultNlist(10_000_000));
    }

    [Fact]
    public void Pq_needs_sub_quantizers_that_divide_the_dimension_and_256_training_vectors()
    {
        Assert.Contains("divides the dimension 48 (e.g. PQ6)", Assert.Throws<ArgumentException>(() => VectorIndexFactory.Create("IVF8,PQ7", 48)).Message);
        Assert.Contains("divides", Assert.Throws<ArgumentException>(() => VectorIndexFactory.Create("IVF8,PQ96", 48)).Message);
        using var ivf = Assert.IsType<IvfIndex>(VectorIndexFactory.Create("IVF4,PQ12", 48));
        Assert.Equal(12, ivf.Codec.CodeBytes);
        var few = ClusteredUnitVectors(255, 48, 4, 81);
        Assert.Contains("at least 256 vectors", Assert.Throws<ArgumentException>(() => ivf.Train(few)).Message);
        var fs = Assert.Throws<ArgumentException>(() => VectorIndexFactory.Create("IVF8,PQ7x4fs", 48)).Message;
        Assert.Contains("divides the dimension 48 (e.g. PQ6x4fs)", fs);
        Assert.DoesNotContain('\n', fs);
        using var four = Assert.IsType<IvfIndex>(VectorIndexFactory.Create("IVF2,PQ12x4fs", 48));
        Assert.Equal(6, four.Codec.CodeBytes);
        Assert.Contains("at least 16 vectors", Assert.Throws<ArgumentException>(() => four.Train(few.AsSpan(0, 15 * 48))).Message);
        using var odd = Assert.IsType<IvfIndex>(VectorIndexFactory.Create("IVF2,PQ3x4fs", 48));
        Assert.Equal(2, odd.Codec.CodeBytes);
    }

    [Fact]
    public void Pq_scores_approximate_exact_inner_products_from_the_residual_codes()
    {
        // With every list probed, a PQ score is q·c + q·(decoded residual); its error is the residual's quantization error.
        int d = 32, k = 10, nq = 50;
        var data = ClusteredUnitVectors(3000, d, 12, 91);
        var queries = ClusteredUnitVectors(nq, d, 12, 92);
        using var ivf = Build("IVF16,PQ16", data, d);
        var ids = new long[nq * k];
        var scores = new float[nq * k];
        ivf.Search(queries, k, ids, scores, new SearchParameters { NProbe = 16 });
        double error = 0;
        for (int i = 0; i < nq * k; i++)
        {
            var q = queries.AsSpan(i / k * d, d);
            var x = data.AsSpan((int)ids[i] * d, d);
            float exact = 0;
            for (int j = 0; j < d; j++) exact += q[j] * x[j];
            error += Math.Abs(exact - scores[i]);
        }
        Assert.True(error / (nq * k) < 0.05, $"mean |PQ score − exact| {error / (nq * k):F4}");
    }
}
