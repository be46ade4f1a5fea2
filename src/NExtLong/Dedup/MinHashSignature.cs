using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace NExtLong.Dedup;

/// <summary>
/// MinHash with datatrove's defaults: 14 bands × 8 rows = 112 hashes over a document's word 5-gram shingles
/// (<see cref="Chunking.Shingles"/>), permutation i being h_i(x) = (a_i·x + b_i) mod p with p = 2^61 − 1, computed
/// exactly (128-bit product, Mersenne folding; datatrove's numpy uint64 arithmetic wraps mod 2^64 first). a_i ∈ [1, p)
/// and b_i ∈ [0, p) come from SplitMix64 seeded with 1, drawn a_0, b_0, a_1, b_1, … by rejection from the top 61 bits
/// of each output — not numpy's RandomState(1) (Mersenne Twister), so the values, like the XxHash3 shingle hashes
/// under them, differ from datatrove's and signatures are comparable only with nextlong's own. A band's key is the
/// XxHash3 of its 8 minima; two documents are candidates when any band's keys agree, with probability
/// 1 − (1 − s^8)^14 at Jaccard similarity s.
/// </summary>
internal sealed class MinHashSignature
{
    public const int Bands = 14;
    public const int Rows = 8;
    public const int Hashes = Bands * Rows;
    public const ulong DefaultSeed = 1;
    public const ulong Prime = (1UL << 61) - 1;

    private readonly ulong[] _a = new ulong[Hashes];
    private readonly ulong[] _b = new ulong[Hashes];

    public MinHashSignature(ulong seed = DefaultSeed)
    {
        Seed = seed;
        ulong state = seed;
        for (int i = 0; i < Hashes; i++)
        {
            _a[i] = Draw(ref state, 1);
            _b[i] = Draw(ref state, 0);
        }
    }

    public ulong Seed { get; }

    /// <summary>Permutation i's multiplier and offset, for tests and the documentation.</summary>
    public (ulong A, ulong B) Permutation(int i) => (_a[i], _b[i]);

    /// <summary>Writes the 112 minima of <paramref name="shingles"/> (not empty) into <paramref name="signature"/>.</summary>
    public void Compute(ReadOnlySpan<ulong> shingles, Span<ulong> signature)
    {
        signature = signature[..Hashes];
        signature.Fill(ulong.MaxValue);
        ReadOnlySpan<ulong> a = _a, b = _b;
        foreach (ulong shingle in shingles)
        {
            ulong x = Reduce(shingle);
            for (int i = 0; i < Hashes; i++)
            {
                ulong h = Permute(a[i], x, b[i]);
                if (h < signature[i]) signature[i] = h;
            }
        }
    }

    /// <summary>Each band's key: the XxHash3 of its <see cref="Rows"/> minima.</summary>
    public static void BandKeys(ReadOnlySpan<ulong> signature, Span<ulong> keys)
    {
        for (int band = 0; band < Bands; band++)
            keys[band] = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(signature.Slice(band * Rows, Rows)));
    }

    /// <summary>The share of positions where two signatures agree: the MinHash estimate of their Jaccard similarity.</summary>
    public static double EstimatedJaccard(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        int same = 0;
        for (int i = 0; i < Hashes; i++)
            if (a[i] == b[i]) same++;
        return (double)same / Hashes;
    }

    /// <summary>P(candidate) = 1 − (1 − s^rows)^bands: the S-curve of banded LSH at Jaccard similarity s.</summary>
    public static double CandidateProbability(double s, int bands = Bands, int rows = Rows) => 1 - Math.Pow(1 - Math.Pow(s, rows), bands);

    // (a·x + b) mod p for a, x, b < p: the 122-bit product folded twice (2^61 ≡ 1 mod p).
    private static ulong Permute(ulong a, ulong x, ulong b)
    {
        ulong hi = Math.BigMul(a, x, out ulong lo);
        ulong r = (lo & Prime) + ((lo >> 61) | (hi << 3));
        r = Reduce(r + b);
        return r;
    }

    // v mod p for any 64-bit v.
    private static ulong Reduce(ulong v)
    {
        v = (v & Prime) + (v >> 61);
        return v >= Prime ? v - Prime : v;
    }

    private static ulong Draw(ref ulong state, ulong min)
    {
        while (true)
        {
            ulong v = SplitMix64(ref state) >> 3;
            if (v >= min && v < Prime) return v;
        }
    }

    private static ulong SplitMix64(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
