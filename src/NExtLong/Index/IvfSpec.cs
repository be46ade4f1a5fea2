using System.Globalization;

namespace NExtLong.Index;

/// <summary>
/// An IVF index spec, FAISS index_factory style. Grammar (case-insensitive keywords, comma-separated):
/// <code>
/// spec    := "IVF" [nlist] "," storage ["," "RFlat"] ("," option)*
/// storage := "Flat" | "FP16" | "SQfp16" | "SQ8" | "PQ" m ["x8"] | "PQ" m "x4fs" ["r"]
/// option  := "nprobe=" n | "kfactor=" n
/// </code>
/// Without nlist the list count is chosen from the number of vectors N (<see cref="DefaultNlist"/>). RFlat
/// re-ranks a shortlist of kfactor·k candidates with the exact float32 vectors. nprobe and kfactor are the
/// defaults a search uses when <see cref="SearchParameters"/> does not say otherwise. PQm stores m 8-bit sub-codes
/// per vector (<see cref="ProductQuantizer"/>; m must divide the dimension, checked when the index is created);
/// PQmx4fs (FAISS's name and meaning) stores m 4-bit sub-codes, m/2 bytes, scanned with in-register tables
/// (<see cref="FastScanCodeScanner"/>), of the vector itself as FAISS's IndexIVFPQFastScan does by default, or with
/// "x4fsr" of its residual to the list centroid (<see cref="Residual"/>); nlist is at most <see cref="MaxNlist"/>.
/// </summary>
/// <param name="Nlist">Inverted lists; 0 until chosen from N.</param>
/// <param name="Storage">How a list stores its vectors.</param>
/// <param name="Refine">Whether a shortlist is re-ranked with the exact vectors (RFlat).</param>
/// <param name="NProbe">Lists a search visits by default.</param>
/// <param name="RefineFactor">Shortlist size as a multiple of k, with RFlat.</param>
/// <param name="SubQuantizers">PQ's m (0 for other storages).</param>
/// <param name="CodeBits">Bits per PQ sub-code: 8, or 4 for the fast scan.</param>
/// <param name="Residual">Whether codes quantize the residual to the list centroid rather than the vector: always for SQ8, FP16 and 8-bit PQ; "x4fsr" for 4-bit PQ.</param>
internal sealed record IvfSpec(int Nlist, IvfStorage Storage, bool Refine, int NProbe, int RefineFactor, int SubQuantizers = 0, int CodeBits = 8, bool Residual = true)
{
    /// <summary>Most lists an index may have (FAISS's IVF1048576 is the largest it documents).</summary>
    public const int MaxNlist = 1 << 20;

    /// <summary>Most PQ sub-quantizers: bytes per code.</summary>
    public const int MaxSubQuantizers = 4096;

    /// <summary>Default shortlist size for RFlat, as a multiple of k.</summary>
    public const int DefaultRefineFactor = 2;

    public static bool IsIvf(string spec) => spec.TrimStart().StartsWith("IVF", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <paramref name="spec"/>; nlist and nprobe are 0 when left to be chosen from N.</summary>
    public static IvfSpec Parse(string spec)
    {
        var parts = spec.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Length < 2 || !parts[0].StartsWith("IVF", StringComparison.OrdinalIgnoreCase))
            throw Error(spec, "expected IVF[nlist],storage[,RFlat]");
        int nlist = 0;
        string count = parts[0][3..];
        if (count.Length > 0 && (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out nlist) || nlist < 1 || nlist > MaxNlist))
            throw Error(spec, $"'{parts[0]}': nlist must be an integer from 1 to {MaxNlist}");
        int m = 0, bits = 8;
        bool residual = true;
        var storage = parts[1].ToUpperInvariant() switch
        {
            "FLAT" => IvfStorage.Flat,
            "FP16" or "SQFP16" => IvfStorage.FP16,
            "SQ8" => IvfStorage.SQ8,
            var pq when pq.StartsWith("PQ", StringComparison.Ordinal) => ParsePq(pq, out m),
            _ => throw Error(spec, $"unknown storage '{parts[1]}'; known: Flat, FP16 (SQfp16), SQ8, PQ<m>, PQ<m>x4fs"),
        };
        bool refine = false;
        int nprobe = 0, factor = DefaultRefineFactor;
        foreach (var part in parts.AsSpan(2))
        {
            if (part.Equals("RFlat", StringComparison.OrdinalIgnoreCase)) refine = true;
            else if (TryOption(part, "nprobe", out int n)) nprobe = n;
            else if (TryOption(part, "kfactor", out n)) factor = n;
            else throw Error(spec, $"unknown part '{part}'; expected RFlat, nprobe=N or kfactor=N");
        }
        return new IvfSpec(nlist, storage, refine, nprobe, factor, m, bits, residual);

        IvfStorage ParsePq(string part, out int m)
        {
            var digits = part.AsSpan(2);
            if (digits.EndsWith("X8")) digits = digits[..^2];
            else if (digits.EndsWith("X4FS") || digits.EndsWith("X4FSR"))
            {
                residual = digits.EndsWith("R");
                digits = digits[..digits.LastIndexOf('X')];
                bits = 4;
            }
            else if (digits.Contains('X'))
                throw Error(spec, $"'{parts[1]}': sub-codes are 8-bit (PQ<m> or PQ<m>x8) or 4-bit for fast scan (PQ<m>x4fs, or PQ<m>x4fsr to encode residuals)");
            if (!int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out m) || m < 1 || m > MaxSubQuantizers)
                throw Error(spec, $"'{part}': PQ needs its number of sub-quantizers, an integer from 1 to {MaxSubQuantizers} that divides the dimension (e.g. PQ32)");
            return IvfStorage.PQ;
        }

        static bool TryOption(string part, string name, out int value)
        {
            value = 0;
            if (!part.StartsWith(name + "=", StringComparison.OrdinalIgnoreCase)) return false;
            if (!int.TryParse(part.AsSpan(name.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out value) || value < 1)
                throw Error(part, $"{name} must be a positive integer");
            return true;
        }
    }

    /// <summary>FAISS's guidance is 4·√N to 16·√N lists; this takes the power of two at or above 4·√N (at least 1, at most N/39 so k-means has its ~39 points per list).</summary>
    public static int DefaultNlist(long vectors)
    {
        long target = (long)Math.Ceiling(4 * Math.Sqrt(Math.Max(1, vectors)));
        long nlist = 1;
        while (nlist < target) nlist *= 2;
        while (nlist > 1 && nlist * 39 > vectors) nlist /= 2;
        return (int)Math.Min(nlist, MaxNlist);
    }

    /// <summary>
    /// Lists probed by default: 1/8 of them, at least 16. Hard-negative mining wants near-exact neighbours; on the
    /// bundled sample's GloVe chunk vectors (nlist 128) this gives recall@64 ≈ 0.98 (docs/BENCHMARKS-INDEX.md).
    /// </summary>
    public static int DefaultNProbe(int nlist) => Math.Min(nlist, Math.Max(16, nlist / 8));

    /// <summary>This spec with nlist and nprobe chosen for <paramref name="vectors"/> vectors where they were left open.</summary>
    public IvfSpec Resolve(long vectors)
    {
        int nlist = Nlist > 0 ? Nlist : DefaultNlist(vectors);
        return this with { Nlist = nlist, NProbe = NProbe > 0 ? Math.Min(NProbe, nlist) : DefaultNProbe(nlist) };
    }

    /// <summary>The canonical spec string, e.g. "IVF4096,SQ8,RFlat,nprobe=256", "IVF65536,PQ32" or "IVF65536,PQ64x4fs".</summary>
    public override string ToString()
    {
        string storage = Storage switch
        {
            IvfStorage.Flat => "Flat",
            IvfStorage.FP16 => "FP16",
            IvfStorage.SQ8 => "SQ8",
            _ => $"PQ{SubQuantizers.ToString(CultureInfo.InvariantCulture)}{(CodeBits == 4 ? Residual ? "x4fsr" : "x4fs" : "")}",
        };
        string s = $"IVF{(Nlist > 0 ? Nlist.ToString(CultureInfo.InvariantCulture) : "")},{storage}";
        if (Refine) s += ",RFlat";
        if (NProbe > 0) s += $",nprobe={NProbe}";
        if (Refine && RefineFactor != DefaultRefineFactor) s += $",kfactor={RefineFactor}";
        return s;
    }

    private static ArgumentException Error(string spec, string why) => new($"invalid index spec '{spec}': {why}", nameof(spec));
}
