namespace NExtLong.Index;

/// <summary>
/// Spherical k-means for the IVF coarse quantizer (what FAISS trains for inner-product IVF): points go to the
/// centroid with the largest inner product, centroids are their points' mean scaled to unit length. Seeded, and
/// every sum is taken in point order, so the centroids are the same for any thread count.
/// </summary>
internal static unsafe class KMeans
{
    /// <summary>Lloyd iterations: FAISS's default for IVF training (its Level1Quantizer sets niter = 10).</summary>
    public const int DefaultIterations = 10;

    /// <summary>Relative perturbation used when an empty cluster takes over half of the largest one (as FAISS does).</summary>
    private const float SplitEpsilon = 1f / 1024;

    /// <summary>Points assigned per work item.</summary>
    private const int Chunk = 4096;

    /// <summary>Returns <paramref name="k"/> unit centroids (k × d, row-major) for the row-major <paramref name="points"/>.</summary>
    /// <remarks><paramref name="ct"/> is checked every iteration and every chunk of points assigned.</remarks>
    public static float[] Train(float[] points, int dimension, int k, int iterations, ulong seed, int threads, CancellationToken ct = default)
    {
        int d = dimension, n = points.Length / d;
        if (n < k) throw new ArgumentException($"k-means needs at least as many training vectors as lists: {n} vectors for {k} lists");
        var centroids = new float[k * d];
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        // The first k picks of a seeded partial shuffle: k distinct points.
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int c = 0; c < k; c++)
        {
            int pick = c + rng.Next(n - c);
            (order[c], order[pick]) = (order[pick], order[c]);
            points.AsSpan(order[c] * d, d).CopyTo(centroids.AsSpan(c * d, d));
            Normalize(centroids.AsSpan(c * d, d));
        }
        var assignment = new int[n];
        var scores = new float[n];
        var counts = new int[k];
        var starts = new int[k + 1];
        var members = new int[n];
        for (int it = 0; it < iterations; it++)
        {
            ct.ThrowIfCancellationRequested();
            Assign(points, n, d, centroids, assignment, scores, threads, ct);
            Array.Clear(counts);
            foreach (int a in assignment) counts[a]++;
            for (int c = 0; c < k; c++) starts[c + 1] = starts[c] + counts[c];
            var fill = (int[])starts.Clone();
            for (int i = 0; i < n; i++) members[fill[assignment[i]]++] = i;
            Parallel.For(0, k, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, () => new double[d], (c, _, sum) =>
            {
                if (counts[c] == 0) return sum;
                Array.Clear(sum);
                for (int m = starts[c]; m < starts[c + 1]; m++)
                {
                    var p = points.AsSpan(members[m] * d, d);
                    for (int j = 0; j < d; j++) sum[j] += p[j];
                }
                double norm = 0;
                for (int j = 0; j < d; j++) norm += sum[j] * sum[j];
                norm = Math.Sqrt(norm);
                if (norm > 0)
                    for (int j = 0; j < d; j++) centroids[c * d + j] = (float)(sum[j] / norm);
                return sum;
            }, _ => { });
            SplitEmpty(centroids, counts, d);
        }
        return centroids;
    }

    /// <summary>Nearest centroid (and its inner product) of every point, in parallel over fixed chunks.</summary>
    public static void Assign(float[] points, int n, int d, float[] centroids, int[] assignment, float[] scores, int threads, CancellationToken ct = default)
    {
        using var quantizer = new CoarseQuantizer(centroids, d);
        Assign(quantizer, points, n, assignment, scores, threads, ct);
    }

    public static void Assign(CoarseQuantizer quantizer, float[] points, int n, int[] assignment, float[] scores, int threads, CancellationToken ct = default)
    {
        fixed (float* p = points) Assign(quantizer, p, n, assignment, scores, threads, ct);
    }

    /// <summary>Assigns the <paramref name="n"/> row-major points at <paramref name="points"/> (pinned by the caller) to their nearest centroids.</summary>
    public static void Assign(CoarseQuantizer quantizer, float* points, int n, int[] assignment, float[] scores, int threads, CancellationToken ct = default)
    {
        int d = quantizer.Dimension, chunks = (n + Chunk - 1) / Chunk;
        var at = (nint)points;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, () => new CoarseQuantizer.State(d), (chunk, _, state) =>
        {
            int first = chunk * Chunk, count = Math.Min(Chunk, n - first);
            fixed (int* a = assignment)
            fixed (float* s = scores)
                quantizer.Search((float*)at + (long)first * d, count, 1, a + first, s + first, state);
            return state;
        }, state => state.Dispose());
    }

    private static void SplitEmpty(float[] centroids, int[] counts, int d)
    {
        for (int c = 0; c < counts.Length; c++)
        {
            if (counts[c] > 0) continue;
            int largest = 0;
            for (int i = 1; i < counts.Length; i++)
                if (counts[i] > counts[largest]) largest = i;
            var from = centroids.AsSpan(largest * d, d);
            var to = centroids.AsSpan(c * d, d);
            for (int j = 0; j < d; j++)
            {
                float sign = (j & 1) == 0 ? 1 : -1;
                to[j] = from[j] * (1 + sign * SplitEpsilon);
                from[j] *= 1 - sign * SplitEpsilon;
            }
            Normalize(to);
            Normalize(from);
            counts[c] = counts[largest] / 2;
            counts[largest] -= counts[c];
        }
    }

    private static void Normalize(Span<float> v)
    {
        double norm = 0;
        foreach (float x in v) norm += (double)x * x;
        if (norm == 0) return;
        float scale = (float)(1 / Math.Sqrt(norm));
        for (int j = 0; j < v.Length; j++) v[j] *= scale;
    }
}
