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
/// 16 bits; the sums are accumulated in uint16 lanes. A code's exact score (its float-table sum plus the list's
/// bias) lies within m/(2a) of bias + Σ min_j + S/a, where S is its quantized sum. Unlike FAISS, the answer is scored
/// with the float table (<see cref="Exact(byte*, int)"/>: a fixed summation order), so results and scores are exactly those of
/// scoring every probed code with it, whatever the path (AVX2 or scalar), thread or batch; the quantized sums only
/// decide which codes are worth scoring.
/// </para>
/// <para>
/// Two ways to score, by what a float-table sum costs (m look-ups). With few sub-spaces a code is scored as soon as
/// it passes the filter, against the collector's bar, whole panels at once where many pass. From
/// <see cref="DeferFrom"/> sub-spaces scoring is deferred: while a query's lists are scanned, the codes that could
/// still reach the bar are kept as candidates, and the bar is the k-th best lower bound of the scores of those kept (k
/// codes certainly score at least that; binned, <see cref="LowerBoundBins"/>); <see cref="Complete"/> then scores
/// those whose lower bounds are among the k best, and of the rest only those that can still pass the bar they set:
/// about k + 10 float-table sums per query, where scoring as codes pass spent several times that while the bar was
/// still low. Either way a list whose floor exceeds every possible sum is skipped from there on.
/// </para>
/// <para>
/// Both ways start from a bar: the quantized sums of a query's first list are computed before it is scanned, and the
/// k-th highest sum among its codes gives a score that k codes certainly reach (<see cref="FormFirstBar"/>), so even
/// the first list is filtered.
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

    /// <summary>Whether a panel with many candidates (scored for all its 16 codes at once, with vector float look-ups) uses AVX-512 (one 16-entry table per register) rather than AVX2 (two halves).</summary>
    private readonly bool _wide;

    /// <summary>Candidates in one panel from which scoring all 16 codes at once is cheaper than scoring each alone.</summary>
    private const int DensePanel = 3;

    /// <summary>
    /// Sub-spaces from which scoring is deferred (<see cref="Complete"/>): where a float-table sum costs more than
    /// keeping a candidate does. Measured on AVX2 at k = 64 (docs/BENCHMARKS-INDEX.md, session 17): at m = 192
    /// deferring was 1.1–1.2× faster than scoring as codes pass, at m = 96 even, at m = 50 0.8–0.95×.
    /// </summary>
    private const int DeferFrom = 128;

    /// <summary>Whether scoring is deferred to <see cref="Complete"/> (else codes are scored as they pass the filter).</summary>
    private readonly bool _deferred;

    /// <summary>Scale a, and the offset Σ min_j: a code's table sum ≈ offset + S/a.</summary>
    private double _scale, _offset;

    /// <summary>How far a table sum may lie from offset + S/a, in units of 1/a: m/2 for rounding, plus float slack.</summary>
    private double _slack;

    /// <summary>Σ_j max_c |T_j[c]|: bounds the float error of a table sum.</summary>
    private double _magnitude;

    /// <summary>Candidates kept at most (2 MiB); more are scored at once instead.</summary>
    internal const int MaxKept = 1 << 16;

    /// <summary>The current query's candidates: codes that passed the filter and are not excluded, not yet scored.</summary>
    private Candidate[] _candidates;
    private int _candidateCount;

    /// <summary>The current query's candidates' lower bounds, binned; the bar they set filters further codes.</summary>
    private LowerBoundBins _bins = new();

    /// <summary>Where the bins' units start: the <see cref="LowerBase"/> of the query's first list.</summary>
    private double _binBase;

    /// <summary>A score that k candidates certainly reach, from the bins (−∞ until k are kept).</summary>
    private float _binBar;

    /// <summary>
    /// Whether the next scan is the query's first list, whose quantized sums form <see cref="_firstBar"/> before it
    /// is scanned (<see cref="FormFirstBar"/>).
    /// </summary>
    private bool _first;

    /// <summary>A score that k codes of the query's first list certainly reach (−∞ where it had fewer): no code below it can enter.</summary>
    private float _firstBar;

    /// <summary>Quantized sums of the first list's leading panels (<see cref="_bufferedPanels"/> of them while it is scanned, else none), kept for its scan.</summary>
    private ushort* _listSums;
    private int _listSumsCapacity, _bufferedPanels;

    /// <summary>Panels of the first list whose sums form the bar at most (8,192 codes, 16 KiB of sums).</summary>
    private const int MaxBarPanels = 512;

    /// <summary>A code to score later: where its bytes lie (16 or the compact tail's stride apart), its id, its list's bias, its quantized sum and the score it certainly reaches.</summary>
    private struct Candidate
    {
        public byte* Code;
        public long Id;
        public float Bias;
        public float Lower;
        public int Stride;
        public int Sum;
    }

    /// <param name="pq">A quantizer with 4-bit sub-codes.</param>
    /// <param name="simd">Whether to use AVX2 where present; false forces the scalar path (tests compare both).</param>
    /// <param name="avx512">Whether to use AVX-512 where present; false keeps to AVX2, as a machine without it would (tests compare both).</param>
    /// <param name="deferred">Whether to defer scoring to <see cref="Complete"/>; by default from <see cref="DeferFrom"/> sub-spaces (tests compare both).</param>
    public FastScanCodeScanner(ProductQuantizer pq, bool simd = true, bool avx512 = true, bool? deferred = null)
    {
        if (pq.Bits != 4) throw new ArgumentException("fast scan needs 4-bit sub-codes", nameof(pq));
        _pq = pq;
        _simd = simd && Avx2.IsSupported;
        _wide = _simd && avx512 && Avx512F.IsSupported;
        _deferred = deferred ?? pq.SubQuantizers >= DeferFrom;
        _candidates = _deferred ? new Candidate[1024] : []; // a scanner that scores as codes pass keeps none
        _bytes = pq.CodeBytes;
        _table = (float*)NativeMemory.AlignedAlloc((nuint)(2 * _bytes * K * sizeof(float)), 64);
        _lut = (byte*)NativeMemory.AlignedAlloc((nuint)(64 * _bytes), 64);
        _tail = (byte*)NativeMemory.AlignedAlloc((nuint)(Lanes * _bytes), 64);
        _zero = (byte*)NativeMemory.AlignedAlloc((nuint)(Lanes * _bytes), 64);
        NativeMemory.Clear(_zero, (nuint)(Lanes * _bytes));
        _sums = (ushort*)NativeMemory.AlignedAlloc(2 * Lanes * sizeof(ushort), 64);
        _exact = (float*)NativeMemory.AlignedAlloc(2 * Lanes * sizeof(float), 64);
        _mins = new float[pq.SubQuantizers];
        _listSumsCapacity = 64 * Lanes;
        _listSums = (ushort*)NativeMemory.AlignedAlloc((nuint)(_listSumsCapacity * sizeof(ushort)), 64);
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
            var first = Vector256.Load(_table + j * K);
            var second = Vector256.Load(_table + j * K + 8);
            // Native min and max: the IEEE forms' NaN and ±0 handling costs several instructions each, and a NaN
            // table scores NaN, which never enters, whatever the scale.
            float lo = MinOf(Vector256.MinNative(first, second)), hi = MaxOf(Vector256.MaxNative(first, second));
            double span = (double)hi - lo;
            maxSpan = span > maxSpan ? span : maxSpan;
            sumSpan += span;
            offset += lo;
            _mins[j] = lo;
            magnitude += MathF.Abs(lo) > MathF.Abs(hi) ? MathF.Abs(lo) : MathF.Abs(hi);
        }
        // A zero table (a zero query) quantizes to zeros at any scale.
        double a = maxSpan > 0 ? Math.Min(255 / maxSpan, (65535 - m) / sumSpan) : 1;
        var scale = Vector256.Create((float)a);
        for (int j = 0; j < padded; j++)
        {
            byte* lut = _lut + 64 * (j >> 1) + 32 * (j & 1);
            if (j == m)
            {
                new Span<byte>(lut, 32).Clear(); // the padding sub-space of an odd m
                continue;
            }
            var min = Vector256.Create(_mins[j]);
            var low = Quantize(Vector256.Load(_table + j * K), min, scale);
            var high = Quantize(Vector256.Load(_table + j * K + 8), min, scale);
            // Entries are 0..255, so narrowing keeps them exactly.
            var bytes = Vector128.Narrow(Vector128.Narrow(low.GetLower(), low.GetUpper()), Vector128.Narrow(high.GetLower(), high.GetUpper()));
            Vector256.Create(bytes, bytes).Store(lut);
        }
        _scale = a;
        _offset = offset;
        // Float sums of m terms, and the bias and threshold they are compared with, carry relative errors of a few
        // ulps per term; a generous bound in table units keeps the filter from dropping a code that could enter.
        _slack = m / 2.0 + 1 + a * (m + 4) * 2.4e-7 * (magnitude + Math.Abs(offset));
        _magnitude = magnitude;
        _candidateCount = 0;
        _binBar = float.NegativeInfinity;
        _first = true;
        _firstBar = float.NegativeInfinity;
    }

    /// <summary>
    /// ⌊a·(T − min) + ½⌋ clamped to a byte, in float: the rounding stays within 0.5 + 2^-16 of a·(T − min), inside
    /// the slack.
    /// </summary>
    private static Vector256<uint> Quantize(Vector256<float> entries, Vector256<float> min, Vector256<float> scale)
    {
        var scaled = Vector256.Floor(Vector256.FusedMultiplyAdd(entries - min, scale, Vector256.Create(0.5f)));
        // The native conversion: a NaN or out-of-range entry (a NaN table) comes out as int.MinValue, clamped to 0.
        return Vector256.Min(Vector256.Max(Vector256.ConvertToInt32Native(scaled), Vector256<int>.Zero), Vector256.Create(255)).AsUInt32();
    }

    public void Scan(float bias, int local, in PanelRun run, TopKCollector[] collectors, int queryBase, SearchExclusions? exclusions)
    {
        // A compact tail is widened once per list, for the bar and the scan alike.
        var list = new ListPanels(run, _bytes, _tail);
        if (_first)
        {
            _first = false;
            int k = collectors[local].K;
            if (_deferred)
            {
                _bins.Reset(k);
                _binBase = LowerBase(bias);
            }
            FormFirstBar(bias, run, in list, k, queryBase + local, exclusions);
        }
        if (_deferred) ScanDeferred(bias, local, run, in list, collectors, queryBase, exclusions);
        else ScanScoring(bias, local, run, in list, collectors, queryBase, exclusions);
        _bufferedPanels = 0;
    }

    /// <summary>
    /// Computes the quantized sums of the first list's leading panels (kept for its scan) and sets
    /// <see cref="_firstBar"/> from the k-th highest S of its codes that are not excluded: each of those k scores at
    /// least base + S/a (<see cref="LowerBase"/>), so no code can enter below that. Without it a query's first list
    /// would be scored against no bar at all (every code while its collector fills, and of k = 64 over a list of 200
    /// codes, most), and its collector cut several times.
    /// </summary>
    private void FormFirstBar(float bias, in PanelRun run, in ListPanels list, int k, int query, SearchExclusions? exclusions)
    {
        if (run.Count < k) return;
        int panels = Math.Min(list.Panels, MaxBarPanels);
        panels += panels & 1;
        int n = panels * Lanes;
        if (n > _listSumsCapacity)
        {
            NativeMemory.AlignedFree(_listSums);
            _listSums = (ushort*)NativeMemory.AlignedAlloc((nuint)(n * sizeof(ushort)), 64);
            _listSumsCapacity = n;
        }
        for (int p = 0; p < panels; p += 2)
        {
            uint valid = Panels(in run, in list, p, out byte* a, out byte* b);
            ushort* sums = _listSums + p * Lanes;
            if (_simd) SumsAvx2(a, b, sums, 0);
            else SumsScalar(a, b, sums, 0);
            // Lanes past the list's end never count towards the k (nor pass, being masked as they are scanned).
            for (uint empty = ~valid; empty != 0; empty &= empty - 1) sums[BitOperations.TrailingZeroCount(empty)] = 0;
        }
        _bufferedPanels = panels;
        while (true)
        {
            int least = KthHighest(_listSums, n, k);
            if (least == 0) return; // fewer than k codes with a sum above 0: no bar
            // Excluded codes never count: drop those among the k and select again.
            bool dropped = false;
            if (exclusions is not null)
                for (int i = 0; i < n; i++)
                    if (_listSums[i] >= least && exclusions.IsExcluded(query, run.IdAt(i)))
                    {
                        _listSums[i] = 0; // scanned from here, an excluded code passes no floor
                        dropped = true;
                    }
            if (dropped) continue;
            _firstBar = MathF.BitDecrement((float)(LowerBase(bias) + least / _scale));
            return;
        }
    }

    /// <summary>The largest t ≥ 1 that at least <paramref name="k"/> of the <paramref name="n"/> sums (a multiple of 16) reach; 0 where fewer than k reach 1.</summary>
    private static int KthHighest(ushort* sums, int n, int k)
    {
        if (CountAtLeast(sums, n, 1) < k) return 0;
        int lo = 1, hi = 65536; // count(lo) ≥ k > count(hi)
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >>> 1;
            if (CountAtLeast(sums, n, (ushort)mid) >= k) lo = mid;
            else hi = mid;
        }
        return lo;
    }

    private static int CountAtLeast(ushort* sums, int n, ushort t)
    {
        var bound = Vector256.Create(t);
        int count = 0;
        for (int i = 0; i < n; i += Lanes)
            count += BitOperations.PopCount(Vector256.GreaterThanOrEqual(Vector256.Load(sums + i), bound).ExtractMostSignificantBits());
        return count;
    }

    /// <summary>Scans a list scoring each code that passes the filter against the collector's own bar at once.</summary>
    private void ScanScoring(float bias, int local, in PanelRun run, in ListPanels list, TopKCollector[] collectors, int queryBase, SearchExclusions? exclusions)
    {
        ref var top = ref collectors[local];
        // The threshold moves only when the collector cuts its buffer: the floor is worked out again only then.
        float threshold = top.Threshold;
        long floor = Floor(MathF.Max(threshold, _firstBar), bias);
        for (int p = 0; p < list.Panels; p += 2)
        {
            if (floor > ushort.MaxValue) return; // the threshold only rises: nothing further in this list can enter
            uint mask = Block(in run, in list, p, floor, out byte* a, out byte* b, out ushort* sums);
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
                if (sums[lane] < floor) continue;
                byte* panel = lane < Lanes ? a : b;
                int position = p * Lanes + lane;
                float score = ((lane < Lanes ? denseA : denseB) ? _exact[lane] : Exact(panel + (lane & (Lanes - 1)), Lanes)) + bias;
                if (score < _firstBar) continue; // k codes score at least that
                long id = run.IdAt(position);
                if (!top.WouldEnter(score, id)) continue;
                if (exclusions is not null && exclusions.IsExcluded(queryBase + local, id)) continue;
                top.Push(score, id);
                if (top.Threshold != threshold)
                {
                    threshold = top.Threshold;
                    floor = Floor(MathF.Max(threshold, _firstBar), bias);
                }
            }
        }
    }

    /// <summary>Scans a list keeping the codes that pass the filter as candidates, to be scored in <see cref="Complete"/>.</summary>
    private void ScanDeferred(float bias, int local, in PanelRun run, in ListPanels list, TopKCollector[] collectors, int queryBase, SearchExclusions? exclusions)
    {
        ref var top = ref collectors[local];
        int query = queryBase + local;
        // The bar moves only when the bins or a collector's cut raise it: the floor is worked out again only then.
        float bar = Bar(in top);
        // Lower bounds in this list: base + S/a (see LowerBase); in the bins' units, S + shift, rounded down (one
        // unit more, for the double arithmetic).
        double lowerBase = LowerBase(bias), perUnit = 1 / _scale;
        int shift = (int)Math.Clamp(Math.Floor(_scale * (lowerBase - _binBase)) - 1, -(1 << 20), 1 << 20);
        long floor = Floor(bar, bias);
        for (int p = 0; p < list.Panels; p += 2)
        {
            if (floor > ushort.MaxValue) return; // the bar only rises: nothing further in this list can enter
            uint mask = Block(in run, in list, p, floor, out byte* a, out byte* b, out ushort* sums);
            while (mask != 0)
            {
                int lane = BitOperations.TrailingZeroCount(mask);
                mask &= mask - 1;
                // Re-checked: an earlier candidate of this block may have raised the bar.
                int sum = sums[lane];
                if (sum < floor) continue;
                int position = p * Lanes + lane;
                long id = run.IdAt(position);
                if (exclusions is not null && exclusions.IsExcluded(query, id)) continue;
                // The code's bytes where they stay put: in place, 16 apart, or in the list's own (perhaps compact) tail.
                bool inTail = position >= list.Full * Lanes;
                byte* code = inTail ? run.Codes + (long)list.Full * list.PanelBytes + (position - list.Full * Lanes) : (lane < Lanes ? a : b) + (lane & (Lanes - 1));
                float lower = MathF.BitDecrement((float)(lowerBase + sum * perUnit));
                var candidate = new Candidate { Code = code, Stride = inTail ? run.TailStride : Lanes, Id = id, Bias = bias, Lower = lower, Sum = sum };
                if (!TryKeep(in candidate, in top))
                {
                    // So many codes that their bounds cannot part them (near-equal scores): score those kept now, which
                    // gives the collector its own bar, rather than keep more than MaxKept.
                    Complete(local, collectors);
                    TryKeep(in candidate, in top);
                    bar = Bar(in top);
                    floor = Floor(bar, bias);
                }
                int key = sum + shift;
                if (key < 0 || !_bins.Add(key)) continue;
                _binBar = MathF.BitDecrement((float)(_binBase + _bins.Edge * perUnit));
                if (Bar(in top) != bar)
                {
                    bar = Bar(in top);
                    floor = Floor(bar, bias);
                }
            }
        }
    }

    /// <summary>
    /// Where a list's panels lie: full ones in place, then the tail (a compact one, with its own stride, widened into
    /// a buffer of 16 lanes), then a zero panel.
    /// </summary>
    private readonly struct ListPanels
    {
        public readonly byte* Codes, Tail;
        public readonly int Full, Panels, PanelBytes;
        public readonly uint TailMask;

        public ListPanels(in PanelRun run, int bytes, byte* buffer)
        {
            PanelBytes = Lanes * bytes;
            Full = run.Count / Lanes;
            int rest = run.Count - Full * Lanes;
            Panels = Full + (rest > 0 ? 1 : 0);
            Codes = run.Codes;
            Tail = run.Codes + (long)Full * PanelBytes;
            TailMask = (1u << rest) - 1;
            if (rest > 0 && run.TailStride != Lanes)
            {
                for (int t = 0; t < bytes; t++) Buffer.MemoryCopy(Tail + (long)t * run.TailStride, buffer + (long)t * Lanes, rest, rest);
                Tail = buffer;
            }
        }
    }

    /// <summary>
    /// Quantized sums of panels p and p + 1 of a list (its codes at <paramref name="a"/> and <paramref name="b"/>,
    /// the zero panel past the end) at <paramref name="sums"/>, computed or, in the first list, as
    /// <see cref="FormFirstBar"/> kept them: the mask of the lanes that hold a code and reach <paramref name="floor"/>.
    /// </summary>
    private uint Block(in PanelRun run, in ListPanels list, int p, long floor, out byte* a, out byte* b, out ushort* sums)
    {
        uint valid = Panels(in run, in list, p, out a, out b);
        var least = (ushort)Math.Max(floor, 0);
        if (p < _bufferedPanels)
        {
            sums = _listSums + p * Lanes;
            return Passing(sums, least) & valid;
        }
        sums = _sums;
        return (_simd ? SumsAvx2(a, b, sums, least) : SumsScalar(a, b, sums, least)) & valid;
    }

    /// <summary>Where panels p and p + 1 of a list lie (the zero panel past the end), and the mask of the lanes that hold a code. Asks for the panels after next meanwhile.</summary>
    private uint Panels(in PanelRun run, in ListPanels list, int p, out byte* a, out byte* b)
    {
        int full = list.Full, panels = list.Panels;
        a = p < full ? list.Codes + (long)p * list.PanelBytes : list.Tail;
        b = p + 1 < full ? list.Codes + (long)(p + 1) * list.PanelBytes : p + 1 < panels ? list.Tail : _zero;
        if (p + 4 <= full) run.Prefetch((long)(p + 2) * list.PanelBytes, 2 * list.PanelBytes);
        return (p < full ? 0xFFFFu : list.TailMask) | ((p + 1 < full ? 0xFFFFu : p + 1 < panels ? list.TailMask : 0) << Lanes);
    }

    /// <summary>The mask of the 32 sums at <paramref name="sums"/> that reach <paramref name="floor"/>.</summary>
    private static uint Passing(ushort* sums, ushort floor) => Passing(Vector256.Load(sums), Vector256.Load(sums + Lanes), floor);

    /// <summary>The mask of the sums of two panels, <paramref name="first"/> (lanes 0–15) and <paramref name="second"/>, that reach <paramref name="floor"/>.</summary>
    private static uint Passing(Vector256<ushort> first, Vector256<ushort> second, ushort floor)
    {
        var threshold = Vector256.Create(floor);
        return Vector256.GreaterThanOrEqual(first, threshold).ExtractMostSignificantBits()
            | (Vector256.GreaterThanOrEqual(second, threshold).ExtractMostSignificantBits() << Lanes);
    }

    /// <summary>
    /// Scores the candidates kept since <see cref="Prepare"/> or the last call, with the float table, and offers them
    /// to collectors[<paramref name="local"/>]: first those whose lower bounds are among the k best (the likeliest
    /// winners), then of the rest only those that can still pass the bar those set. Every candidate that could enter
    /// is scored, so the collector ends as if every code had been.
    /// </summary>
    public void Complete(int local, TopKCollector[] collectors)
    {
        int n = _candidateCount;
        if (n == 0) return; // nothing kept, or scoring as codes pass
        ref var top = ref collectors[local];
        _candidateCount = 0;
        var candidates = _candidates;
        float best = _binBar;
        int rest = 0;
        bool waiting = false;
        Candidate pending = default;
        for (int i = 0; i < n; i++)
        {
            if (!(candidates[i].Lower >= best)) candidates[rest++] = candidates[i];
            else if (!waiting)
            {
                // Held by value: the compaction of the rest may overwrite its slot.
                pending = candidates[i];
                waiting = true;
            }
            else
            {
                // Two at a time: scoring is latency-bound, and two codes' sums interleave.
                var (first, second) = Exact(pending.Code, pending.Stride, candidates[i].Code, candidates[i].Stride);
                Offer(first, in pending, ref top);
                Offer(second, in candidates[i], ref top);
                waiting = false;
            }
        }
        if (waiting) Score(in pending, ref top);
        top.Settle();
        var floors = new LastFloor();
        for (int i = 0; i < rest; i++)
        {
            ref var candidate = ref candidates[i];
            if (candidate.Sum >= floors.Of(this, top.Threshold, candidate.Bias)) Score(in candidate, ref top);
        }
    }

    /// <summary>
    /// <see cref="Floor"/> of the last bar and bias asked for, worked out again only when either changes: candidates
    /// of one list share its bias, and so the floor while the bar stands.
    /// </summary>
    private struct LastFloor
    {
        private float _bar, _bias;
        private long _floor;
        private bool _known;

        public long Of(FastScanCodeScanner scanner, float bar, float bias)
        {
            if (!_known || bar != _bar || !bias.Equals(_bias))
            {
                (_bar, _bias, _floor, _known) = (bar, bias, scanner.Floor(bar, bias), true);
            }
            return _floor;
        }
    }

    /// <summary>Scores a candidate with the float table and offers it (it passed the exclusions when it was kept).</summary>
    private void Score(in Candidate candidate, ref TopKCollector top) => Offer(Exact(candidate.Code, candidate.Stride), in candidate, ref top);

    /// <summary>Offers a candidate whose table sum is <paramref name="sum"/>.</summary>
    private static void Offer(float sum, in Candidate candidate, ref TopKCollector top)
    {
        float score = sum + candidate.Bias;
        if (top.WouldEnter(score, candidate.Id)) top.Push(score, candidate.Id);
    }

    /// <summary>The bar a code must be able to reach: the k-th best lower bound of the candidates kept, the first list's, or the collector's own bar, whichever is highest.</summary>
    private float Bar(in TopKCollector top) => MathF.Max(MathF.Max(_binBar, _firstBar), top.Threshold);

    /// <summary>
    /// The k-th best lower bound of the candidates kept, cheaply: each bound as whole units of 1/a above a base
    /// (rounded down, so never above the bound), counted in bins of 64 units; <see cref="Edge"/> is where the highest
    /// bins that hold k start, so k candidates certainly score at least base + Edge/a. Adding is O(1) amortised, where
    /// a collector of the bounds cut its buffer every k.
    /// </summary>
    private sealed class LowerBoundBins
    {
        private const int Shift = 6;
        private readonly int[] _counts = new int[(ushort.MaxValue >> Shift) + 1];
        private int _bin, _above, _k;
        private bool _formed, _used;

        /// <summary>Where the bins that hold k start, in units (valid once <see cref="Add"/> has returned true).</summary>
        public int Edge => _bin << Shift;

        public void Reset(int k)
        {
            if (_used) Array.Clear(_counts);
            (_bin, _above, _k, _formed, _used) = (0, 0, k, false, false);
        }

        /// <summary>Counts a bound of <paramref name="key"/> ≥ 0 units (beyond the bins, in the last: lower, so safe); true when <see cref="Edge"/> rose or first formed.</summary>
        public bool Add(int key)
        {
            int bin = Math.Min(key, ushort.MaxValue) >> Shift;
            _counts[bin]++;
            _used = true;
            if (bin < _bin || ++_above < _k) return false;
            bool rose = !_formed;
            _formed = true;
            while (_above - _counts[_bin] >= _k)
            {
                _above -= _counts[_bin++];
                rose = true;
            }
            return rose;
        }
    }

    /// <summary>
    /// Where the scores that codes certainly reach start in a list with <paramref name="bias"/>: a code with quantized
    /// sum S scores at least base + S/a, rounded down to a float, with base = bias + offset − slack/a less the float
    /// error of the table sum and the bias (a bound far above that of this double arithmetic).
    /// </summary>
    private double LowerBase(float bias)
        => (double)bias + _offset - _slack / _scale - 2.4e-7 * (Math.Abs(bias) + _magnitude + Math.Abs(_offset));

    /// <summary>
    /// Keeps a candidate; when the buffer is full, first drops those that can no longer reach the bar, then grows it
    /// if that freed too little. False, keeping nothing, where it would grow past <see cref="MaxKept"/>.
    /// </summary>
    private bool TryKeep(in Candidate candidate, in TopKCollector top)
    {
        if (_candidateCount == _candidates.Length)
        {
            float bar = Bar(in top);
            var floors = new LastFloor();
            int kept = 0;
            for (int i = 0; i < _candidateCount; i++)
                if (_candidates[i].Sum >= floors.Of(this, bar, _candidates[i].Bias)) _candidates[kept++] = _candidates[i];
            _candidateCount = kept;
            if (kept > _candidates.Length / 2)
            {
                if (_candidates.Length >= MaxKept) return false;
                Array.Resize(ref _candidates, 2 * _candidates.Length);
            }
        }
        _candidates[_candidateCount++] = candidate;
        return true;
    }

    /// <summary>How many candidates the buffer can hold now (tests check its bound).</summary>
    internal int KeptCapacity => _candidates.Length;

    /// <summary>The least quantized sum S whose code could score at least <paramref name="threshold"/> in a list with <paramref name="bias"/>; 0 while the collector is not full.</summary>
    private long Floor(float threshold, float bias)
    {
        if (float.IsNegativeInfinity(threshold)) return 0;
        double s = Math.Floor(_scale * ((double)threshold - bias - _offset) - _slack - _scale * 2.4e-7 * (Math.Abs(threshold) + Math.Abs(bias)));
        return s < 0 ? 0 : s > 65536 ? 65536 : (long)s;
    }

    /// <summary>
    /// The float-table score of the code whose first byte is at <paramref name="code"/> (bytes
    /// <paramref name="stride"/> apart): sub-space j added to partial sum j mod 4, then (s0 + s1) + (s2 + s3). Four
    /// chains rather than one sum in sub-space order: scoring is latency-bound, and the order is fixed, so a score is
    /// the same on every path and thread.
    /// </summary>
    private float Exact(byte* code, int stride)
    {
        float* table = _table;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        nint step = 2 * (nint)stride;
        int t = 0;
        // Unsigned indices and constant offsets: the loads fold into the adds, with no sign extensions.
        // The padding sub-space of an odd m has a zero table, so whole bytes can be summed.
        for (; t + 2 <= _bytes; t += 2, code += step, table += 4 * K)
        {
            uint b0 = code[0], b1 = code[stride];
            s0 += table[b0 & 15];
            s1 += (table + K)[b0 >> 4];
            s2 += (table + 2 * K)[b1 & 15];
            s3 += (table + 3 * K)[b1 >> 4];
        }
        if (t < _bytes)
        {
            uint b = *code;
            s0 += table[b & 15];
            s1 += (table + K)[b >> 4];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /// <summary><see cref="Exact(byte*, int)"/> of two codes at once, each in its own order: their eight chains keep the processor busy.</summary>
    private (float, float) Exact(byte* code, int stride, byte* other, int otherStride)
    {
        float* table = _table;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;
        nint step = 2 * (nint)stride, otherStep = 2 * (nint)otherStride;
        int t = 0;
        for (; t + 2 <= _bytes; t += 2, code += step, other += otherStep, table += 4 * K)
        {
            uint b0 = code[0], b1 = code[stride], c0 = other[0], c1 = other[otherStride];
            s0 += table[b0 & 15];
            t0 += table[c0 & 15];
            s1 += (table + K)[b0 >> 4];
            t1 += (table + K)[c0 >> 4];
            s2 += (table + 2 * K)[b1 & 15];
            t2 += (table + 2 * K)[c1 & 15];
            s3 += (table + 3 * K)[b1 >> 4];
            t3 += (table + 3 * K)[c1 >> 4];
        }
        if (t < _bytes)
        {
            uint b = *code, c = *other;
            s0 += table[b & 15];
            t0 += table[c & 15];
            s1 += (table + K)[b >> 4];
            t1 += (table + K)[c >> 4];
        }
        return ((s0 + s1) + (s2 + s3), (t0 + t1) + (t2 + t3));
    }

    /// <summary>
    /// <see cref="Exact(byte*, int)"/> for all 16 codes of the panel at <paramref name="panel"/>, into <paramref name="scores"/>:
    /// a sub-space's 16-entry table fills one 512-bit register, so vpermps looks up 16 codes at once, and each lane
    /// adds in <see cref="Exact(byte*, int)"/>'s order, so every score is bit for bit the one it would give.
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
    /// Each lane adds in <see cref="Exact(byte*, int)"/>'s order.
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

    /// <summary>The least of 8 lanes, by shuffles (which of equal ±0 lanes wins does not matter here: they subtract alike).</summary>
    private static float MinOf(Vector256<float> v)
    {
        var q = Vector128.MinNative(v.GetLower(), v.GetUpper());
        q = Vector128.MinNative(q, Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MinNative(q, Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    private static float MaxOf(Vector256<float> v)
    {
        var q = Vector128.MaxNative(v.GetLower(), v.GetUpper());
        q = Vector128.MaxNative(q, Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1)));
        return Vector128.MaxNative(q, Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    /// <summary>Quantized sums of panels a (lanes 0–15) and b (16–31) into <paramref name="sums"/>; returns the mask of sums ≥ <paramref name="floor"/>.</summary>
    private uint SumsAvx2(byte* a, byte* b, ushort* sums, ushort floor)
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
        first.Store(sums);
        second.Store(sums + Lanes);
        return Passing(first, second, floor);
    }

    private uint SumsScalar(byte* a, byte* b, ushort* sums, ushort floor)
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
            sums[lane] = (ushort)sum;
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
        NativeMemory.AlignedFree(_listSums);
        NativeMemory.AlignedFree(_exact);
    }
}
