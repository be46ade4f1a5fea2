using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NExtLong.Index;

/// <summary>
/// Product quantization (Jégou, Douze and Schmid, "Product quantization for nearest neighbor search", 2011): the d
/// components are split into m sub-vectors of d/m components, each sub-space has K centroids learnt by L2
/// k-means (K = 256 for 8-bit sub-codes, 16 for the 4-bit codes of <see cref="FastScanCodeScanner"/>), and a
/// vector's code names its nearest sub-centroids: m bytes, or m/2 bytes of nibble pairs. Since an inner product is the sum
/// of its sub-space inner products, q·x̂ = Σ_j q_j·cb_j[code_j]: a query's table of m × 256 sub-products turns
/// scoring a code into m look-ups (asymmetric distance computation). Codebooks are stored per sub-space transposed
/// (m × d/m × K float32), so encoding and tables run 16 centroids per instruction. Training is seeded and
/// every sum is taken in a fixed order, so the codebooks are the same for any thread count.
/// </summary>
internal sealed class ProductQuantizer
{
    /// <summary>Centroids per sub-space of 8-bit sub-codes.</summary>
    public const int Centroids8 = 256;

    /// <summary>Centroids per sub-space of 4-bit sub-codes.</summary>
    public const int Centroids4 = 16;

    /// <summary>Lloyd iterations per sub-space: FAISS's default for PQ training (its ProductQuantizer's cp.niter).</summary>
    public const int Iterations = 25;

    /// <summary>Training residuals used at most for 8-bit sub-codes (the most of any code size), subsampled with the seed: FAISS's 256 points per centroid.</summary>
    public const int MaxTrainingPoints = 256 * Centroids8;

    /// <summary>Relative perturbation used when an empty cluster takes over half of the largest one (as FAISS does).</summary>
    private const float SplitEpsilon = 1f / 1024;

    private readonly float[] _codebooks;

    /// <summary>½‖c‖² of every sub-centroid (m × K), so that the nearest one maximises r·c − ½‖c‖².</summary>
    private readonly float[] _halfNorms;

    /// <summary>A quantizer with the given codebooks (m × d/m × K, as <see cref="Codebooks"/>), or zero codebooks until trained.</summary>
    /// <exception cref="ArgumentException"><paramref name="subQuantizers"/> is not a divisor of <paramref name="dimension"/>, or <paramref name="bits"/> is not 4 or 8.</exception>
    public ProductQuantizer(int dimension, int subQuantizers, float[]? codebooks = null, int bits = 8)
    {
        if (bits is not (4 or 8)) throw new ArgumentException($"PQ sub-codes have 4 or 8 bits, not {bits}", nameof(bits));
        string name = bits == 4 ? "x4fs" : "";
        if (subQuantizers < 1 || subQuantizers > dimension || dimension % subQuantizers != 0)
            throw new ArgumentException($"PQ{subQuantizers}{name} needs a number of sub-quantizers that divides the dimension {dimension} (e.g. PQ{LargestDivisorAtMost(dimension, Math.Max(1, subQuantizers))}{name})", nameof(subQuantizers));
        Dimension = dimension;
        SubQuantizers = subQuantizers;
        SubDimension = dimension / subQuantizers;
        Bits = bits;
        Centroids = 1 << bits;
        _codebooks = codebooks ?? new float[dimension * Centroids];
        if (_codebooks.Length != dimension * Centroids) throw new ArgumentException($"PQ codebooks hold {_codebooks.Length} floats, expected {dimension * Centroids}", nameof(codebooks));
        _halfNorms = new float[subQuantizers * Centroids];
        for (int j = 0; j < subQuantizers; j++) UpdateNorms(j);
    }

    public int Dimension { get; }

    /// <summary>m: sub-quantizers, and sub-codes per vector.</summary>
    public int SubQuantizers { get; }

    public int SubDimension { get; }

    /// <summary>Bits per sub-code: 8, or 4 for fast-scan codes.</summary>
    public int Bits { get; }

    /// <summary>K = 2^bits centroids per sub-space.</summary>
    public int Centroids { get; }

    /// <summary>Bytes per vector code: m, or ⌈m/2⌉ with 4-bit sub-codes (sub-code 2t in the low nibble of byte t, 2t+1 in the high one).</summary>
    public int CodeBytes => Bits == 8 ? SubQuantizers : (SubQuantizers + 1) / 2;

    /// <summary>Training residuals used at most, subsampled with the seed: 256 per centroid, as FAISS.</summary>
    public int MaxTrainingPointsUsed => 256 * Centroids;

    /// <summary>Sub-space j's component t of centroid c at [(j·d/m + t)·K + c].</summary>
    public ReadOnlySpan<float> Codebooks => _codebooks;

    /// <summary>
    /// Learns the codebooks from row-major <paramref name="residuals"/> (at least K; subsampled with the seed to
    /// <see cref="MaxTrainingPointsUsed"/>): an L2 k-means per sub-space, the sub-spaces in parallel.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than K training vectors.</exception>
    public void Train(ReadOnlySpan<float> residuals, ulong seed, int threads, CancellationToken ct = default)
    {
        int d = Dimension, n = residuals.Length / d;
        if (n < Centroids)
            throw new ArgumentException($"PQ{SubQuantizers}{(Bits == 4 ? "x4fs" : "")} training needs at least {Centroids} vectors ({Bits}-bit sub-codes have {Centroids} centroids per sub-space); got {n}", nameof(residuals));
        int[] picks = n > MaxTrainingPointsUsed ? IvfIndex.SeededSubset(n, MaxTrainingPointsUsed, seed) : [.. Enumerable.Range(0, n)];
        int count = picks.Length, ds = SubDimension;
        var points = residuals.ToArray();
        Parallel.For(0, SubQuantizers, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = ct }, j =>
        {
            var sub = new float[count * ds];
            for (int i = 0; i < count; i++) points.AsSpan(picks[i] * d + j * ds, ds).CopyTo(sub.AsSpan(i * ds, ds));
            TrainSubspace(j, sub, count, seed + (ulong)j, ct);
        });
    }

    /// <summary>Writes the <see cref="CodeBytes"/>-byte code of the residual <paramref name="vector"/> − <paramref name="centroid"/>.</summary>
    public void Encode(ReadOnlySpan<float> vector, ReadOnlySpan<float> centroid, Span<byte> code)
    {
        int ds = SubDimension;
        Span<float> r = ds <= 256 ? stackalloc float[ds] : new float[ds];
        code[..CodeBytes].Clear();
        for (int j = 0; j < SubQuantizers; j++)
        {
            for (int t = 0; t < ds; t++) r[t] = vector[j * ds + t] - centroid[j * ds + t];
            int c = Nearest(j, r);
            if (Bits == 8) code[j] = (byte)c;
            else code[j >> 1] |= (byte)(c << ((j & 1) * 4));
        }
    }

    /// <summary>Writes query · sub-centroid for every sub-space and centroid: table[j·K + c] (m × K floats).</summary>
    public void ComputeTable(ReadOnlySpan<float> query, Span<float> table)
    {
        int ds = SubDimension;
        var books = MemoryMarshal.Cast<float, Vector512<float>>(_codebooks.AsSpan());
        var output = MemoryMarshal.Cast<float, Vector512<float>>(table[..(SubQuantizers * Centroids)]);
        int blocks = Centroids / 16;
        if (blocks == 1)
        {
            // 4-bit codes: one register per sub-space (the same FMA order as below). Fast scan builds a table per
            // query, so this is on its path.
            for (int j = 0; j < SubQuantizers; j++)
            {
                var sum = Vector512<float>.Zero;
                for (int t = 0; t < ds; t++) sum = Vector512.FusedMultiplyAdd(Vector512.Create(query[j * ds + t]), books[j * ds + t], sum);
                output[j] = sum;
            }
            return;
        }
        Span<Vector512<float>> acc = stackalloc Vector512<float>[blocks];
        for (int j = 0; j < SubQuantizers; j++)
        {
            acc.Clear();
            for (int t = 0; t < ds; t++)
            {
                var q = Vector512.Create(query[j * ds + t]);
                var row = books.Slice((j * ds + t) * blocks, blocks);
                for (int b = 0; b < blocks; b++) acc[b] = Vector512.FusedMultiplyAdd(q, row[b], acc[b]);
            }
            acc.CopyTo(output.Slice(j * blocks, blocks));
        }
    }

    /// <summary>The sub-centroid of sub-space j nearest (L2) to <paramref name="r"/>: the largest r·c − ½‖c‖², ties to the lower index.</summary>
    private int Nearest(int j, ReadOnlySpan<float> r)
    {
        int ds = SubDimension;
        int blocks = Centroids / 16;
        var books = MemoryMarshal.Cast<float, Vector512<float>>(_codebooks.AsSpan());
        var norms = MemoryMarshal.Cast<float, Vector512<float>>(_halfNorms.AsSpan(j * Centroids, Centroids));
        Span<Vector512<float>> acc = stackalloc Vector512<float>[blocks];
        for (int b = 0; b < blocks; b++) acc[b] = -norms[b];
        for (int t = 0; t < ds; t++)
        {
            var x = Vector512.Create(r[t]);
            var row = books.Slice((j * ds + t) * blocks, blocks);
            for (int b = 0; b < blocks; b++) acc[b] = Vector512.FusedMultiplyAdd(x, row[b], acc[b]);
        }
        var max = acc[0];
        for (int b = 1; b < blocks; b++) max = Vector512.Max(max, acc[b]);
        float best = MaxOf(Vector256.Max(max.GetLower(), max.GetUpper()));
        for (int b = 0; b < blocks; b++)
        {
            uint hit = (uint)Vector512.Equals(acc[b], Vector512.Create(best)).ExtractMostSignificantBits();
            if (hit != 0) return b * 16 + System.Numerics.BitOperations.TrailingZeroCount(hit);
        }
        return 0; // only when every score is NaN (a NaN input); code 0 then, as any other choice would be as arbitrary

        static float MaxOf(Vector256<float> v)
        {
            var m = Vector128.Max(v.GetLower(), v.GetUpper());
            float a = MathF.Max(m[0], m[1]), b = MathF.Max(m[2], m[3]);
            return MathF.Max(a, b);
        }
    }

    /// <summary>Lloyd's k-means in L2 on sub-space j's <paramref name="count"/> points, from a seeded pick of K distinct points.</summary>
    private void TrainSubspace(int j, float[] points, int count, ulong seed, CancellationToken ct)
    {
        int ds = SubDimension;
        var rng = new Random(unchecked((int)seed ^ (int)(seed >> 32)));
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        var centroids = new float[Centroids * ds];
        for (int c = 0; c < Centroids; c++)
        {
            int pick = c + rng.Next(count - c);
            (order[c], order[pick]) = (order[pick], order[c]);
            points.AsSpan(order[c] * ds, ds).CopyTo(centroids.AsSpan(c * ds, ds));
        }
        var sums = new double[Centroids * ds];
        var sizes = new int[Centroids];
        for (int it = 0; it < Iterations; it++)
        {
            ct.ThrowIfCancellationRequested();
            Store(j, centroids);
            Array.Clear(sums);
            Array.Clear(sizes);
            // Points in order, so every sum is the same whatever the thread count.
            for (int i = 0; i < count; i++)
            {
                var p = points.AsSpan(i * ds, ds);
                int c = Nearest(j, p);
                sizes[c]++;
                for (int t = 0; t < ds; t++) sums[c * ds + t] += p[t];
            }
            for (int c = 0; c < Centroids; c++)
                if (sizes[c] > 0)
                    for (int t = 0; t < ds; t++) centroids[c * ds + t] = (float)(sums[c * ds + t] / sizes[c]);
            SplitEmpty(centroids, sizes, ds);
        }
        Store(j, centroids);
    }

    /// <summary>Writes sub-space j's row-major centroids (K × d/m) into the transposed codebook and refreshes their norms.</summary>
    private void Store(int j, float[] centroids)
    {
        int ds = SubDimension;
        for (int c = 0; c < Centroids; c++)
            for (int t = 0; t < ds; t++) _codebooks[(j * ds + t) * Centroids + c] = centroids[c * ds + t];
        UpdateNorms(j);
    }

    private void UpdateNorms(int j)
    {
        int ds = SubDimension;
        for (int c = 0; c < Centroids; c++)
        {
            float norm = 0;
            for (int t = 0; t < ds; t++)
            {
                float x = _codebooks[(j * ds + t) * Centroids + c];
                norm = MathF.FusedMultiplyAdd(x, x, norm);
            }
            _halfNorms[j * Centroids + c] = 0.5f * norm;
        }
    }

    /// <summary>An empty cluster takes half of the largest: both get its centroid, perturbed in opposite directions.</summary>
    private static void SplitEmpty(float[] centroids, int[] sizes, int ds)
    {
        for (int c = 0; c < sizes.Length; c++)
        {
            if (sizes[c] > 0) continue;
            int largest = 0;
            for (int i = 1; i < sizes.Length; i++)
                if (sizes[i] > sizes[largest]) largest = i;
            for (int t = 0; t < ds; t++)
            {
                float sign = (t & 1) == 0 ? 1 : -1;
                float x = centroids[largest * ds + t];
                centroids[c * ds + t] = x * (1 + sign * SplitEpsilon);
                centroids[largest * ds + t] = x * (1 - sign * SplitEpsilon);
            }
            sizes[c] = sizes[largest] / 2;
            sizes[largest] -= sizes[c];
        }
    }

    private static int LargestDivisorAtMost(int dimension, int limit)
    {
        for (int m = Math.Min(limit, dimension); m > 1; m--)
            if (dimension % m == 0) return m;
        return 1;
    }
}
