using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NExtLong.Index;

/// <summary>
/// Keeps the k best (score, id) pairs seen; a higher score is better, and of equal scores the lower id, so the
/// result is the same in whatever order candidates arrive. Candidates are appended to a buffer of 2k; when it is
/// full it is cut to the k best, and the worst of those becomes the bar a candidate must pass to enter. The cut finds
/// the k-th best score by a selection with branch-free partitions and compacts without branches, amortised O(1) per
/// candidate, where a heap pays O(log k) unpredictable branches: with k = 64 over short IVF lists the heap's
/// sift-down was over half of the search time. A NaN score never enters.
/// </summary>
internal struct TopKCollector
{
    private readonly float[] _scores;
    private readonly long[] _ids;
    private readonly float[] _scratch;
    private readonly int _k;
    private int _count;
    private bool _hasBar;
    private float _barScore;
    private long _barId;

    public TopKCollector(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _k = k;
        _scores = new float[2 * k];
        _ids = new long[2 * k];
        _scratch = new float[2 * k];
    }

    public readonly int K => _k;

    /// <summary>How many pairs are held, at most k.</summary>
    public readonly int Count => Math.Min(_count, _k);

    /// <summary>
    /// A score below which no candidate can enter (one equal to it still can, with a lower id than the bar's); -∞
    /// until the buffer has first been cut to the k best. It only rises.
    /// </summary>
    public readonly float Threshold => _hasBar ? _barScore : float.NegativeInfinity;

    public void Reset()
    {
        _count = 0;
        _hasBar = false;
    }

    public readonly bool WouldEnter(float score, long id)
        => !_hasBar || score > _barScore || (score == _barScore && id < _barId);

    public void Push(float score, long id)
    {
        if (float.IsNaN(score)) return;
        if (_count == _scores.Length)
        {
            (_barScore, _barId) = Cut();
            _hasBar = true;
        }
        _scores[_count] = score;
        _ids[_count] = id;
        _count++;
    }

    /// <summary>
    /// Forms the bar as soon as k pairs are held, where it would otherwise wait for the buffer to fill: a scan that has
    /// just offered its likeliest candidates filters the rest against it. The result does not depend on when cuts
    /// happen.
    /// </summary>
    public void Settle()
    {
        if (_hasBar || _count < _k) return;
        (_barScore, _barId) = Cut();
        _hasBar = true;
    }

    /// <summary>Offers every entry of <paramref name="other"/> (left unchanged) to this collector.</summary>
    public void Merge(in TopKCollector other)
    {
        for (int i = 0; i < other._count; i++)
            if (WouldEnter(other._scores[i], other._ids[i])) Push(other._scores[i], other._ids[i]);
    }

    /// <summary>Writes the results best first, padding with (-1, -∞), and empties the collector.</summary>
    public void Drain(Span<long> ids, Span<float> scores)
    {
        if (_count > _k) Cut();
        int n = _count;
        // One primitive sort of 64-bit keys: the score's order key inverted (best first) above the pair's position.
        Span<ulong> order = n <= 1024 ? stackalloc ulong[n] : new ulong[n];
        for (int i = 0; i < n; i++) order[i] = ((ulong)~Key(_scores[i]) << 32) | (uint)i;
        order.Sort();
        for (int j = 0; j < n; j++)
        {
            int i = (int)(uint)order[j];
            ids[j] = _ids[i];
            scores[j] = _scores[i];
        }
        // Each run of equal scores by id.
        for (int run = 0; run < n;)
        {
            int end = run + 1;
            while (end < n && scores[end] == scores[run]) end++;
            if (end - run > 1) ids[run..end].Sort();
            run = end;
        }
        ids[n..].Fill(-1);
        scores[n..].Fill(float.NegativeInfinity);
        Reset();
    }

    /// <summary>A key that orders as the score does, −0 as +0 (they compare equal); NaN never enters.</summary>
    private static uint Key(float score)
    {
        uint bits = BitConverter.SingleToUInt32Bits(score + 0f);
        return (int)bits < 0 ? ~bits : bits | 0x8000_0000u;
    }

    /// <summary>Cuts the buffer to its k best, in no order, and returns the worst of them (the k-th best).</summary>
    private (float Score, long Id) Cut()
    {
        float t = KthBestScore();
        if (CountAtLeast(t) == _k)
        {
            // Every score equal to t is kept (the usual case: one of them): one branch-free compaction, and the bar's
            // id is the highest of those ids.
            var s = _scores;
            var d = _ids;
            int at = 0;
            long barId = long.MinValue;
            for (int i = 0; i < _count; i++)
            {
                float score = s[i];
                long id = d[i];
                s[at] = score;
                d[at] = id;
                at += score >= t ? 1 : 0;
                barId = Math.Max(barId, score == t ? id : long.MinValue);
            }
            _count = _k;
            return (t, barId);
        }
        // More scores equal t than places are left: scores above t to the front, then those equal to t, of which the
        // lowest ids make up the k.
        int above = Gather(0, t, equal: false);
        int tied = Gather(above, t, equal: true);
        _ids.AsSpan(above, tied - above).Sort();
        _count = _k;
        return (t, _ids[_k - 1]);
    }

    /// <summary>
    /// Moves the pairs of [from, count) whose score is above <paramref name="t"/> (or equal to it) to the front of that
    /// range and returns where they end; branch-free moves, since which way a candidate goes is unpredictable.
    /// </summary>
    private readonly int Gather(int from, float t, bool equal)
    {
        var s = _scores;
        var d = _ids;
        int at = from;
        for (int i = from; i < _count; i++)
        {
            float score = s[i];
            long id = d[i];
            s[i] = s[at];
            d[i] = d[at];
            s[at] = score;
            d[at] = id;
            at += (equal ? score == t : score > t) ? 1 : 0;
        }
        return at;
    }

    /// <summary>The k-th highest score held (counting repeats): a selection on a copy of the scores alone, with branch-free partitions.</summary>
    private readonly float KthBestScore()
    {
        var a = _scratch;
        Array.Copy(_scores, a, _count);
        int lo = 0, hi = _count - 1, target = _k - 1;
        while (lo < hi)
        {
            float x = a[lo], y = a[lo + ((hi - lo) >> 1)], z = a[hi];
            float pivot = Math.Max(Math.Min(x, y), Math.Min(Math.Max(x, y), z));
            int above = GatherScores(a, lo, hi, pivot, equal: false);
            if (target < above)
            {
                hi = above - 1;
                continue;
            }
            int equal = GatherScores(a, above, hi, pivot, equal: true);
            if (target < equal) return pivot;
            lo = equal;
        }
        return a[lo];
    }

    /// <summary><see cref="Gather"/> for scores alone, over [from, to] of <paramref name="a"/>.</summary>
    private static int GatherScores(float[] a, int from, int to, float t, bool equal)
    {
        int at = from;
        for (int i = from; i <= to; i++)
        {
            float v = a[i];
            a[i] = a[at];
            a[at] = v;
            at += (equal ? v == t : v > t) ? 1 : 0;
        }
        return at;
    }

    /// <summary>How many scores held are at least <paramref name="t"/>.</summary>
    private readonly int CountAtLeast(float t)
    {
        ref float start = ref MemoryMarshal.GetArrayDataReference(_scores);
        var bound = Vector256.Create(t);
        int i = 0, count = 0;
        for (; i + Vector256<float>.Count <= _count; i += Vector256<float>.Count)
            count += BitOperations.PopCount(Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref start, (nuint)i), bound).ExtractMostSignificantBits());
        for (; i < _count; i++) count += _scores[i] >= t ? 1 : 0;
        return count;
    }
}
