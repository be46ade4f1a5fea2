namespace NExtLong.IndexBench;

/// <summary>
/// Deterministic synthetic embeddings with cluster structure, generated in place at any scale: vector i is
/// normalize(centre[h(i)] + noise), with centres and noise drawn from generators seeded by the row number, so any
/// row range can be produced independently (and in parallel) with the same result.
/// </summary>
internal sealed class ClusteredVectors
{
    /// <summary>Noise scale relative to a unit centre: nearest neighbours land at cosine ≈ 0.6–0.8, like text embeddings.</summary>
    private const float Spread = 0.8f;

    private readonly int _dimension;
    private readonly float[] _centres;
    private readonly int _clusters;
    private readonly int _seed;

    public ClusteredVectors(int dimension, int clusters, int seed)
    {
        _dimension = dimension;
        _clusters = clusters;
        _seed = seed;
        _centres = new float[(long)clusters * dimension];
        var rng = new Random(seed);
        for (int c = 0; c < clusters; c++) Gaussian(rng, _centres.AsSpan(c * dimension, dimension), 1);
    }

    /// <summary>Writes rows [first, first + rows) into <paramref name="destination"/>.</summary>
    public void Fill(long first, int rows, float[] destination, int threads)
    {
        int d = _dimension;
        const int slice = 4096;
        Parallel.For(0, (rows + slice - 1) / slice, new ParallelOptions { MaxDegreeOfParallelism = threads }, s =>
        {
            int from = s * slice, to = Math.Min(rows, from + slice);
            var rng = new Random(RowSeed(first + from));
            for (int i = from; i < to; i++)
            {
                var v = destination.AsSpan(i * d, d);
                Gaussian(rng, v, Spread);
                var centre = _centres.AsSpan(rng.Next(_clusters) * d, d);
                for (int j = 0; j < d; j++) v[j] += centre[j];
                Normalize(v);
            }
        });
    }

    /// <summary>Writes rows [0, <paramref name="n"/>) as a vectors.flat file.</summary>
    public void WriteFlat(string path, long n, int threads)
    {
        using var writer = new NExtLong.Index.VectorIndexFile.Writer(path, _dimension);
        var buffer = new float[65536 * _dimension];
        for (long first = 0; first < n; first += 65536)
        {
            int rows = (int)Math.Min(65536, n - first);
            Fill(first, rows, buffer, threads);
            writer.Append(buffer.AsSpan(0, rows * _dimension));
        }
        writer.Complete();
    }

    /// <summary>A fixed mix of the seed and a row number (SplitMix64), so every run draws the same rows.</summary>
    private int RowSeed(long row)
    {
        ulong z = (ulong)row * 0x9E3779B97F4A7C15UL + (ulong)_seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)(z ^ (z >> 31));
    }

    /// <summary>A random direction times <paramref name="scale"/>: Gaussian entries of variance 1/d, so the norm is about <paramref name="scale"/>.</summary>
    private static void Gaussian(Random rng, Span<float> v, float scale)
    {
        float sigma = scale / MathF.Sqrt(v.Length);
        for (int j = 0; j < v.Length; j += 2)
        {
            double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(u1));
            v[j] = (float)(r * Math.Cos(2 * Math.PI * u2)) * sigma;
            if (j + 1 < v.Length) v[j + 1] = (float)(r * Math.Sin(2 * Math.PI * u2)) * sigma;
        }
    }

    private static void Normalize(Span<float> v)
    {
        double norm = 0;
        foreach (float x in v) norm += (double)x * x;
        float scale = (float)(1 / Math.Sqrt(norm));
        for (int j = 0; j < v.Length; j++) v[j] *= scale;
    }
}
