using NExtLong.Index;

namespace NExtLong.Tests;

public class FlatIndexTests
{
    internal static float[] RandomUnitVectors(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var v = new float[n * d];
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int j = 0; j < d; j++)
            {
                float x = (float)(rng.NextDouble() * 2 - 1);
                v[i * d + j] = x;
                norm += x * x;
            }
            for (int j = 0; j < d; j++) v[i * d + j] /= (float)Math.Sqrt(norm);
        }
        return v;
    }

    /// <summary>The arithmetic every index here uses for a score: fused multiply-adds in dimension order, from zero.</summary>
    internal static float FusedDot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float sum = 0;
        for (int j = 0; j < a.Length; j++) sum = MathF.FusedMultiplyAdd(a[j], b[j], sum);
        return sum;
    }

    internal static (long[] Ids, float[] Scores) BruteForce(float[] data, float[] queries, int d, int k, Func<int, long, bool>? excluded = null)
    {
        int n = data.Length / d, nq = queries.Length / d;
        var ids = new long[nq * k];
        var scores = new float[nq * k];
        for (int q = 0; q < nq; q++)
        {
            var all = Enumerable.Range(0, n)
                .Where(i => excluded is null || !excluded(q, i))
                .Select(i => (Id: (long)i, Score: FusedDot(queries.AsSpan(q * d, d), data.AsSpan(i * d, d))))
                .OrderByDescending(x => x.Score).ThenBy(x => x.Id).ToList();
            for (int j = 0; j < k; j++)
            {
                ids[q * k + j] = j < all.Count ? all[j].Id : -1;
                scores[q * k + j] = j < all.Count ? all[j].Score : float.NegativeInfinity;
            }
        }
        return (ids, scores);
    }

    [Theory]
    [InlineData(1000, 16, 10, 1, 37)]
    [InlineData(9000, 100, 64, 2, 37)] // spans three scan blocks; fewer queries than FlatIndex.RowScanQueries: unpacked
    [InlineData(50, 8, 64, 2, 37)]     // fewer vectors than k
    [InlineData(1003, 24, 7, 1, 1)]    // one query: one panel lane used, a row tail
    [InlineData(2000, 40, 16, 2, 16)]  // one full panel, the database split between two threads
    [InlineData(700, 1024, 5, 2, 100)] // enough queries for the packed scan
    [InlineData(500, 16, 9, 2, 1030)]  // two chunks of queries: 1,024 scanned packed, 6 scanned unpacked
    public void Matches_brute_force_for_any_thread_count(int n, int d, int k, int threads, int nq)
    {
        var data = RandomUnitVectors(n, d, 1);
        var queries = RandomUnitVectors(nq, d, 2);
        using var index = new FlatIndex(d);
        index.Add(data.AsSpan(0, data.Length / 2 / d * d));
        index.Add(data.AsSpan(data.Length / 2 / d * d));
        var ids = new long[nq * k];
        var scores = new float[nq * k];
        index.Search(queries, k, ids, scores, new SearchParameters { MaxThreads = threads });
        var expected = BruteForce(data, queries, d, k);
        Assert.Equal(expected.Ids, ids);
        Assert.Equal(expected.Scores, scores);
    }

    [Fact]
    public void Exclusions_never_cost_results()
    {
        int d = 12, k = 20;
        var data = RandomUnitVectors(500, d, 3);
        var queries = RandomUnitVectors(5, d, 4);
        using var index = new FlatIndex(d);
        index.Add(data);
        var used = new HashSet<long>(Enumerable.Range(0, 500).Where(i => i % 3 == 0).Select(i => (long)i));
        var exclusions = new RangeAndSetExclusions(100, 200, used);
        var ids = new long[5 * k];
        var scores = new float[5 * k];
        index.Search(queries, k, ids, scores, new SearchParameters { Exclusions = exclusions });
        var expected = BruteForce(data, queries, d, k, (q, id) => exclusions.IsExcluded(q, id));
        Assert.Equal(expected.Ids, ids);
        Assert.DoesNotContain(-1L, ids);
        Assert.DoesNotContain(ids, id => (id >= 100 && id < 200) || used.Contains(id));
    }

    [Fact]
    public void Ties_are_broken_by_lower_id()
    {
        using var index = new FlatIndex(2);
        index.Add([1, 0, 0, 1, 1, 0, 1, 0]);
        var ids = new long[3];
        var scores = new float[3];
        index.Search([1f, 0f], 3, ids, scores);
        Assert.Equal(new long[] { 0, 2, 3 }, ids);
    }

    [Fact]
    public void Saved_index_reopens_memory_mapped_with_identical_results()
    {
        string dir = TempDir.Create();
        string path = Path.Combine(dir, "v.flat");
        int d = 32, k = 10;
        var data = RandomUnitVectors(5000, d, 5);
        var queries = RandomUnitVectors(20, d, 6);
        using var index = new FlatIndex(d);
        index.Add(data);
        VectorIndexFile.Save(index, path);
        Assert.False(File.Exists(path + ".tmp"));
        using var reopened = VectorIndexFile.Open(path);
        Assert.Equal(5000, reopened.Count);
        var a = (new long[20 * k], new float[20 * k]);
        var b = (new long[20 * k], new float[20 * k]);
        index.Search(queries, k, a.Item1, a.Item2);
        reopened.Search(queries, k, b.Item1, b.Item2);
        Assert.Equal(a.Item1, b.Item1);
        Assert.Equal(a.Item2, b.Item2);
        Assert.Throws<InvalidOperationException>(() => reopened.Add(data.AsSpan(0, d)));
    }

    [Fact]
    public void Truncated_or_corrupt_files_are_clear_errors()
    {
        string dir = TempDir.Create();
        string path = Path.Combine(dir, "v.flat");
        using (var index = new FlatIndex(4))
        {
            index.Add(RandomUnitVectors(100, 4, 7));
            VectorIndexFile.Save(index, path);
        }
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^7]);
        var e = Assert.Throws<InvalidDataException>(() => VectorIndexFile.Open(path));
        Assert.Contains("truncated", e.Message);
        bytes[100] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
        e = Assert.Throws<InvalidDataException>(() => VectorIndexFile.Open(path));
        Assert.Contains("checksum", e.Message);
        File.WriteAllBytes(path, "not an index at all, just text........................................."u8.ToArray());
        e = Assert.Throws<InvalidDataException>(() => VectorIndexFile.Open(path));
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Factory_knows_flat_and_rejects_the_rest()
    {
        Assert.IsType<FlatIndex>(VectorIndexFactory.Create("Flat", 8));
        Assert.Contains("Flat", Assert.Throws<ArgumentException>(() => VectorIndexFactory.Create("HNSW32", 8)).Message);
    }
}
