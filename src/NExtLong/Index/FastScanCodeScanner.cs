using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NExtLong.Index;

/// <summary>
/// PQ fast scan (André, Kermarrec and Le Scouarnec, "Cache locality is not enough: high-performance nearest
/// neighbor search with product quantization fast scan", 2015; FAISS's IVF-PQ "x4fs"): with 4-bit sub-codes a
/// sub-space's table has 16 entries, so quantized to bytes it fits one 128-bit register and a shuffle (vpshufb)
/// looks up 32 codes at once. Codes lie in the IVF lists' panels of 16 vectors, byte t of the 16 together (sub-code
/// 2t in the low nibble, 2t+1 in the high one); two panels, 32 vectors, fill a 256-bit register.
/// <para>
/// Per query, each sub-table j is quantized as q_j[c] = ⌊a·(T_j[c] − min_j) + ½⌋ with one scale
/// a = min(255 / max_j span_j, (65535 − m) / Σ_j span_j), so every entry is a byte and every sum of m entries fits
/// 16 bits; the sums are accumulated in uint16 lanes. Unlike FAISS, the list's bias q·c stays out of the quantized
/// sum (it sets the list's integer threshold instead), and a code whose sum S could still reach the collector — its
/// exact score is within m/(2a) of bias + Σ min_j + S/a — is re-scored with the float table (<see cref="Exact"/>:
/// a fixed summation order). So the results and scores are exactly those of
/// scoring every probed code with the float table, whatever the path (AVX2 or scalar), thread or batch; the
/// quantized sums only decide which codes are worth re-scoring. A list whose threshold exceeds every possible
/// sum is skipped from there on.
/// </para>
/// </summary>
internal sealed unsafe class FastScanCodeScanner : IProductCodeScanner
{
    private const int Lanes = PanelKernel.Lanes;
    private const int K = ProductQuantizer.Centroids4;

    private readonly ProductQuantizer _pq;
    private readonly bool _simd;

    /// <summary>Code bytes per vector: ⌈m/2⌉.</summary>
    private readonly int _bytes;

    /// <summary>Float table, 2·⌈m/2⌉ × 16 (a padding sub-space of zeros when m is odd).</summary>
    private readonly float* _table;

    /// <summary>Per code byte t, 64 bytes: the quantized low-nibble table twice, then the high-nibble one twice (one per 128-bit lane).</summary>
    private readonly byte* _lut;

    private readonly byte* _tail;
    private readonly byte* _zero;
    private readonly ushort* _sums;
    private readonly float* _exact;
    private readonly float[] _mins;

    /// <summary>Whether a panel with many candidates (re-scored for all its 16 codes at once, with vector float look-ups) uses AVX-512 (one 16-entry table per register) rather than AVX2 (two halves).</summary>
    private readonly bool _wide;

    /// <summary>Candidates in one panel from which scoring all 16 codes at once is cheaper than scoring each alone.</summary>
    private const int DensePanel = 3;

    /// <summary>Scale a, and the offset Σ min_j: a code's table sum ≈ offset + S/a.</summary>
    private double _scale, _offset;

    /// <summary>How far a table sum may lie from offset + S/a, in units of 1/a: m/2 for rounding, plus float slack.</summary>
    private double _slack;

    /// <param name="pq">A quantizer with 4-bit sub-codes.</param>
    /// <param name="simd">Whether to use AVX2 where present; false forces the scalar path (tests compare both).</param>
    /// <param name="avx512">Whether to use AVX-512 where present; false keeps to AVX2, as a machine without it would (tests compare both).</param>
    public FastScanCodeScanner(ProductQuantizer pq, bool simd = true, bool avx512 = true)
    {
        if (pq.Bits != 4) throw new ArgumentException("fast scan needs 4-bit sub-codes", nameof(pq));
        _pq = pq;
        _simd = simd && Avx2.IsSupported;
        _wide = _simd && avx512 && Avx512F.IsSupported;
        _bytes = pq.CodeBytes;
        _table = (float*)NativeMemory.AlignedAlloc((nuint)(2 * _bytes * K * sizeof(float)), 64);
        _lut = (byte*)NativeMemory.AlignedAlloc((nuint)(64 * _bytes), 64);
        _tail = (byte*)NativeMemory.AlignedAlloc((nuint)(Lanes * _bytes), 64);
        _zero = (byte*)NativeMemory.AlignedAlloc((nuint)(Lanes * _bytes), 64);
        NativeMemory.Clear(_zero, (nuint)(Lanes * _bytes));
        _sums = (ushort*)NativeMemory.AlignedAlloc(2 * Lanes * sizeof(ushort), 64);
        _exact = (float*)NativeMemory.AlignedAlloc(2 * Lanes * sizeof(float), 64);
        _mins = new float[pq.SubQuantizers];
    }

    public void Prepare(ReadOnlySpan<float> query)
    {
        int m = _pq.SubQuantizers, padded = 2 * _bytes;
        var table = new Span<float>(_table, padded * K);
        table[(m * K)..].Clear();
        _pq.ComputeTable(query, table);
        double maxSpan = 0, sumSpan = 0, offset = 0, magnitude = 0;
        for (int j = 0; j < m; j++)
        {
            var row = Vector512.Load(_table + j * K);
            float lo = MinOf(row), hi = -MinOf(-row);
            double span = (double)hi - lo;
            maxSpan = Math.Max(maxSpan, span);
            sumSpan += span;
            offset += lo;
            _mins[j] = lo;
            magnitude += Math.Max(Math.Abs(lo), Math.Abs(hi));
        }
        // A zero table (a zero query) quantizes to zeros at any scale.
        double a = maxSpan > 0 ? Math.Min(255 / maxSpan, (65535 - m) / sumSpan) : 1;
        var scale = Vector512.Create((float)a);
        int* q = stackalloc int[K];
        for (int j = 0; j < padded; j++)
        {
            byte* lut = _lut + 64 * (j >> 1) + 32 * (j & 1);
            if (j == m)
            {
                new Span<byte>(lut, 32).Clear(); // the padding sub-space of an odd m
                continue;
            }
            // In float: the rounding stays within 0.5 + 2^-16 of a·(T − min), inside the slack below.
            var scaled = Vector512.Floor(Vector512.FusedMultiplyAdd(Vector512.Load(_table + j * K) - Vector512.Create(_mins[j]), scale, Vector512.Create(0.5f)));
            var entries = Vector512.Min(Vector512.Max(Vector512.ConvertToInt32(scaled), Vector512<int>.Zero), Vector512.Create(255));
            if (Avx512F.IsSupported)
            {
                var bytes = Avx512F.ConvertToVector128Byte(entries);
                bytes.Store(lut);
                bytes.Store(lut + 16);
                continue;
            }
            entries.Store(q);
            for (int c = 0; c < K; c++) lut[c] = lut[c + 16] = (byte)q[c];
        }
        _scale = a;
        _offset = offset;
        // Float sums of m terms, and the bias and threshold they are compared with, carry relative errors of a few
        // ulps per term; a generous bound in table units keeps the filter from dropping a code that could enter.
        _slack = m / 2.0 + 1 + a * (m + 4) * 2.4e-7 * (magnitude + Math.Abs(offset));
    }

    public void Scan(float bias, int local, in PanelRun run, TopKCollector[] collectors, int queryBase, SearchExclusions? exclusions)
    {
        int panelBytes = Lanes * _bytes;
        int full = run.Count / Lanes, rest = run.Count - full * Lanes;
        int panels = full + (rest > 0 ? 1 : 0);
        byte* tail = run.Codes + (long)full * panelBytes;
        if (rest > 0 && run.TailStride != Lanes)
        {
            // A compact tail has its own stride; widen it to a full panel (the unused lanes are masked below).
            for (int t = 0; t < _bytes; t++) Buffer.MemoryCopy(tail + (long)t * run.TailStride, _tail + (long)t * Lanes, rest, rest);
            tail = _tail;
        }
        ref var top = ref collectors[local];
        uint tailMask = (1u << rest) - 1;
        // The threshold moves only when the collector cuts its buffer: the floor is worked out again only then.
        float threshold = top.Threshold;
        long floor = Floor(threshold, bias);
        for (int p = 0; p < panels; p += 2)
        {
            if (floor > ushort.MaxValue) return; // the threshold only rises: nothing further in this list can enter
            byte* a = p < full ? run.Codes + (long)p * panelBytes : tail;
            byte* b = p + 1 < full ? run.Codes + (long)(p + 1) * panelBytes : p + 1 < panels ? tail : _zero;
            if (p + 4 <= full) run.Prefetch((long)(p + 2) * panelBytes, 2 * panelBytes);
            uint valid = (p < full ? 0xFFFFu : tailMask) | ((p + 1 < full ? 0xFFFFu : p + 1 < panels ? tailMask : 0) << Lanes);
            uint mask = (_simd ? SumsAvx2(a, b, (ushort)Math.Max(floor, 0)) : SumsScalar(a, b, (ushort)Math.Max(floor, 0))) & valid;
            if (mask == 0) continue;
            // While the collector fills, most codes are candidates: score whole panels at once (the same sums).
            bool denseA = _simd && BitOperations.PopCount(mask & 0xFFFFu) >= DensePanel;
            bool denseB = _simd && BitOperations.PopCount(mask >> Lanes) >= DensePanel;
            if (denseA) ExactPanel(a, _exact);
            if (denseB) ExactPanel(b, _exact + Lanes);
            while (mask != 0)
            {
                int lane = BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                // Re-checked: an earlier candidate of this block may have raised the threshold.
                if (_sums[lane] < floor) continue;
                byte* panel = lane < Lanes ? a : b;
                int position = p * Lanes + lane;
                float score = ((lane < Lanes ? denseA : denseB) ? _exact[lane] : Exact(panel + (lane & (Lanes - 1)))) + bias;
                long id = run.IdAt(position);
                if (!top.WouldEnter(score, id)) continue;
                if (exclusions is not null && exclusions.IsExcluded(queryBase + local, id)) continue;
                top.Push(score, id);
                if (top.Threshold != threshold)
                {
                    threshold = top.Threshold;
                    floor = Floor(threshold, bias);
                }
            }
        }
    }

    /// <summary>The least quantized sum S whose code could score at least <paramref name="threshold"/> in a list with <paramref name="bias"/>; 0 while the collector is not full.</summary>
    private long Floor(float threshold, float bias)
    {
        if (float.IsNegativeInfinity(threshold)) return 0;
        double s = Math.Floor(_scale * ((double)threshold - bias - _offset) - _slack - _scale * 2.4e-7 * (Math.Abs(threshold) + Math.Abs(bias)));
        return s < 0 ? 0 : s > 65536 ? 65536 : (long)s;
    }

    /// <summary>
    /// The float-table score of the code whose first byte is at <paramref name="code"/> (bytes 16 apart): sub-space j
    /// added to partial sum j mod 4, then (s0 + s1) + (s2 + s3). Four chains rather than one sum in sub-space order:
    /// re-scoring is latency-bound, and the order is fixed, so a score is the same on every path and thread.
    /// </summary>
    private float Exact(byte* code)
    {
        float* table = _table;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int t = 0;
        // The padding sub-space of an odd m has a zero table, so whole bytes can be summed.
        for (; t + 2 <= _bytes; t += 2, code += 2 * Lanes, table += 4 * K)
        {
            int b0 = code[0], b1 = code[Lanes];
            s0 += table[b0 & 15];
            s1 += table[K + (b0 >> 4)];
            s2 += table[2 * K + (b1 & 15)];
            s3 += table[3 * K + (b1 >> 4)];
        }
        if (t < _bytes)
        {
            int b = *code;
            s0 += table[b & 15];
            s1 += table[K + (b >> 4)];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary>
    /// <see cref="Exact"/> for all 16 codes of the panel at <paramref name="panel"/>, into <paramref name="scores"/>:
    /// a sub-space's 16-entry table fills one 512-bit register, so vpermps looks up 16 codes at once, and each lane
    /// adds in <see cref="Exact"/>'s order, so every score is bit for bit the one it would give.
    /// </summary>
    private void ExactPanel(byte* panel, float* scores)
    {
        if (!_wide)
        {
            ExactHalfPanel(panel, scores);
            ExactHalfPanel(panel + Lanes / 2, scores + Lanes / 2);
            return;
        }
        float* table = _table;
        var nibble = Vector512.Create(15);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int t = 0;
        for (; t + 2 <= _bytes; t += 2, panel += 2 * Lanes, table += 4 * K)
        {
            var b0 = Avx512F.ConvertToVector512Int32(Vector128.Load(panel));
            var b1 = Avx512F.ConvertToVector512Int32(Vector128.Load(panel + Lanes));
            s0 += Avx512F.PermuteVar16x32(Vector512.Load(table), b0 & nibble);
            s1 += Avx512F.PermuteVar16x32(Vector512.Load(table + K), Vector512.ShiftRightLogical(b0, 4));
            s2 += Avx512F.PermuteVar16x32(Vector512.Load(table + 2 * K), b1 & nibble);
            s3 += Avx512F.PermuteVar16x32(Vector512.Load(table + 3 * K), Vector512.ShiftRightLogical(b1, 4));
        }
        if (t < _bytes)
        {
            var b = Avx512F.ConvertToVector512Int32(Vector128.Load(panel));
            s0 += Avx512F.PermuteVar16x32(Vector512.Load(table), b & nibble);
            s1 += Avx512F.PermuteVar16x32(Vector512.Load(table + K), Vector512.ShiftRightLogical(b, 4));
        }
        ((s0 + s1) + (s2 + s3)).Store(scores);
    }

    /// <summary>
    /// <see cref="ExactPanel"/> for 8 codes of a panel (from <paramref name="codes"/>, bytes 16 apart) with AVX2: a
    /// sub-space's table is two registers of 8 entries; vpermps looks up both, and bit 3 of the sub-code picks one.
    /// Each lane adds in <see cref="Exact"/>'s order.
    /// </summary>
    private void ExactHalfPanel(byte* codes, float* scores)
    {
        float* table = _table;
        var nibble = Vector256.Create(15);
        Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int t = 0;
        for (; t + 2 <= _bytes; t += 2, codes += 2 * Lanes, table += 4 * K)
        {
            var b0 = Avx2.ConvertToVector256Int32(codes);
            var b1 = Avx2.ConvertToVector256Int32(codes + Lanes);
            s0 += LookUp(table, b0 & nibble);
            s1 += LookUp(table + K, Vector256.ShiftRightLogical(b0, 4));
            s2 += LookUp(table + 2 * K, b1 & nibble);
            s3 += LookUp(table + 3 * K, Vector256.ShiftRightLogical(b1, 4));
        }
        if (t < _bytes)
        {
            var b = Avx2.ConvertToVector256Int32(codes);
            s0 += LookUp(table, b & nibble);
            s1 += LookUp(table + K, Vector256.ShiftRightLogical(b, 4));
        }
        ((s0 + s1) + (s2 + s3)).Store(scores);
    }

    /// <summary>table[c] for each lane's c in 0..15: vpermps uses c's low 3 bits, and blendv picks the upper half where bit 3 (shifted to the sign) is set.</summary>
    private static Vector256<float> LookUp(float* table, Vector256<int> c)
        => Avx.BlendVariable(Avx2.PermuteVar8x32(Vector256.Load(table), c), Avx2.PermuteVar8x32(Vector256.Load(table + 8), c),
            Vector256.ShiftLeft(c, 28).AsSingle());

    private static float MinOf(Vector512<float> v)
    {
        var h = Vector256.Min(v.GetLower(), v.GetUpper());
        var q = Vector128.Min(h.GetLower(), h.GetUpper());
        return MathF.Min(MathF.Min(q[0], q[1]), MathF.Min(q[2], q[3]));
    }

    /// <summary>Quantized sums of panels a (lanes 0–15) and b (16–31) into <see cref="_sums"/>; returns the mask of sums ≥ <paramref name="floor"/>.</summary>
    private uint SumsAvx2(byte* a, byte* b, ushort floor)
    {
        var nibble = Vector256.Create((byte)0x0F);
        Vector256<ushort> all0 = default, all1 = default, odd0 = default, odd1 = default;
        byte* lut = _lut;
        for (int t = 0; t < _bytes; t++, a += Lanes, b += Lanes, lut += 64)
        {
            var codes = Vector256.Create(Vector128.Load(a), Vector128.Load(b));
            var low = Avx2.Shuffle(Vector256.Load(lut), codes & nibble).AsUInt16();
            var high = Avx2.Shuffle(Vector256.Load(lut + 32), Vector256.ShiftRightLogical(codes.AsUInt16(), 4).AsByte() & nibble).AsUInt16();
            // Each 16-bit lane gathers an even vector's byte plus 256 × the odd one's: summing whole lanes (mod 2^16)
            // and the odd bytes alone lets both totals be separated at the end, each exact as it fits 16 bits.
            all0 += low;
            all1 += high;
            odd0 += Vector256.ShiftRightLogical(low, 8);
            odd1 += Vector256.ShiftRightLogical(high, 8);
        }
        var odd = odd0 + odd1;
        var even = all0 + all1 - Vector256.ShiftLeft(odd, 8);
        // Interleave back to vector order: panel a's 16 sums, then panel b's.
        var lo = Avx2.UnpackLow(even, odd);
        var hi = Avx2.UnpackHigh(even, odd);
        var first = Avx2.Permute2x128(lo, hi, 0x20);
        var second = Avx2.Permute2x128(lo, hi, 0x31);
        first.Store(_sums);
        second.Store(_sums + Lanes);
        var threshold = Vector256.Create(floor);
        uint pass0 = Vector256.Equals(Avx2.Max(first, threshold), first).ExtractMostSignificantBits();
        uint pass1 = Vector256.Equals(Avx2.Max(second, threshold), second).ExtractMostSignificantBits();
        return pass0 | (pass1 << Lanes);
    }

    private uint SumsScalar(byte* a, byte* b, ushort floor)
    {
        uint mask = 0;
        for (int lane = 0; lane < 2 * Lanes; lane++)
        {
            byte* code = (lane < Lanes ? a : b) + (lane & (Lanes - 1));
            byte* lut = _lut;
            int sum = 0;
            for (int t = 0; t < _bytes; t++, code += Lanes, lut += 64)
            {
                int c = *code;
                sum += lut[c & 15] + lut[32 + (c >> 4)];
            }
            _sums[lane] = (ushort)sum;
            if (sum >= floor) mask |= 1u << lane;
        }
        return mask;
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_table);
        NativeMemory.AlignedFree(_lut);
        NativeMemory.AlignedFree(_tail);
        NativeMemory.AlignedFree(_zero);
        NativeMemory.AlignedFree(_sums);
        NativeMemory.AlignedFree(_exact);
    }
}
