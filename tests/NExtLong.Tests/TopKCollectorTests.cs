using NExtLong.Index;
using Xunit;

namespace NExtLong.Tests;

public class TopKCollectorTests
{
    /// <summary>The k best by (score descending, id ascending), padded with (-1, -∞): what every index must return.</summary>
    private static (long[] Ids, float[] Scores) Expected(IEnumerable<(float Score, long Id)> pairs, int k)
    {
        var best = pairs.OrderByDescending(p => p.Score).ThenBy(p => p.Id).Take(k).ToArray();
        var ids = Enumerable.Repeat(-1L, k).ToArray();
        var scores = Enumerable.Repeat(float.NegativeInfinity, k).ToArray();
        for (int i = 0; i < best.Length; i++) (ids[i], scores[i]) = (best[i].Id, best[i].Score);
        return (ids, scores);
    }

    private static (long[] Ids, float[] Scores) Drain(ref TopKCollector top, int k)
    {
        var result = (new long[k], new float[k]);
        top.Drain(result.Item1, result.Item2);
        return result;
    }

    [Theory]
    [InlineData(1, 40)]
    [InlineData(16, 15)]
    [InlineData(16, 200)]
    [InlineData(64, 1000)]
    public void Settling_forms_the_bar_at_k_and_changes_no_result(int k, int n)
    {
        var rng = new Random(k * 31 + n);
        var pairs = Enumerable.Range(0, n).Select(i => ((float)rng.Next(0, 1 + n / 4), (long)i)).ToArray();
        var top = new TopKCollector(k);
        foreach (var (score, id) in pairs)
        {
            bool hadBar = !float.IsNegativeInfinity(top.Threshold);
            if (top.WouldEnter(score, id)) top.Push(score, id);
            top.Settle();
            // Once k are held there is a bar, the k-th best at the time it formed (Push alone waits for 2k), and it
            // never passes the k-th best so far.
            int seen = Array.IndexOf(pairs, (score, id)) + 1;
            float kth = seen >= k ? pairs.Take(seen).Select(p => p.Item1).OrderByDescending(x => x).ElementAt(k - 1) : float.NegativeInfinity;
            if (seen == k) Assert.Equal(kth, top.Threshold);
            Assert.True(top.Threshold <= kth);
            Assert.Equal(seen >= k, !float.IsNegativeInfinity(top.Threshold));
            if (seen < k) Assert.False(hadBar);
        }
        var expected = Expected(pairs, k);
        var actual = Drain(ref top, k);
        Assert.Equal(expected.Ids, actual.Ids);
        Assert.Equal(expected.Scores, actual.Scores);
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 50)]
    [InlineData(7, 3)]
    [InlineData(16, 16)]
    [InlineData(64, 63)]
    [InlineData(64, 65)]
    [InlineData(64, 128)]
    [InlineData(64, 129)]
    [InlineData(64, 5000)]
    [InlineData(333, 20000)]
    public void Keeps_the_k_best_with_ties_by_id_whatever_the_order_of_arrival(int k, int n)
    {
        var rng = new Random(k * 7919 + n);
        // Few distinct scores, so ties decide most places; ids unique and shuffled.
        var pairs = Enumerable.Range(0, n).Select(i => ((float)rng.Next(0, 1 + n / 8) / 4, (long)i * 3 + 1)).ToArray();
        var expected = Expected(pairs, k);
        for (int order = 0; order < 4; order++)
        {
            rng.Shuffle(pairs);
            var top = new TopKCollector(k);
            float threshold = float.NegativeInfinity;
            foreach (var (score, id) in pairs)
            {
                if (top.WouldEnter(score, id)) top.Push(score, id);
                Assert.True(top.Threshold >= threshold, "the threshold only rises");
                threshold = top.Threshold;
            }
            Assert.Equal(Math.Min(k, n), top.Count);
            // No pair of the answer was ever below the threshold the scanners filter with.
            Assert.All(expected.Scores.Where(s => s > float.NegativeInfinity), s => Assert.True(s >= threshold));
            var got = Drain(ref top, k);
            Assert.Equal(expected.Ids, got.Ids);
            Assert.Equal(expected.Scores, got.Scores);
            Assert.Equal(0, top.Count);
        }
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(10, 1000)]
    [InlineData(64, 5000)]
    [InlineData(100, 101)]
    public void Mostly_distinct_scores_of_every_sign_and_magnitude_keep_the_k_best(int k, int n)
    {
        // Scores over the whole float range: the cut orders them by integer keys, so signs, ±0, subnormals and
        // infinities must order as floats do (−0 and +0 equal, then by id).
        float[] special = [0f, -0f, float.Epsilon, -float.Epsilon, float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity, 1e-30f, -1e-30f];
        var rng = new Random(k * 31 + n);
        var pairs = Enumerable.Range(0, n).Select(i => (i % 7 == 0 ? special[rng.Next(special.Length)] : (float)((rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-20, 20))), (long)i * 5 + 2)).ToArray();
        var expected = Expected(pairs, k);
        for (int order = 0; order < 3; order++)
        {
            rng.Shuffle(pairs);
            var top = new TopKCollector(k);
            foreach (var (score, id) in pairs)
                if (top.WouldEnter(score, id)) top.Push(score, id);
            var got = Drain(ref top, k);
            Assert.Equal(expected.Ids, got.Ids);
            Assert.Equal(expected.Scores, got.Scores);
        }
    }

    [Fact]
    public void Minus_zero_and_zero_tie_and_the_lower_id_wins()
    {
        var top = new TopKCollector(2);
        foreach (var (score, id) in new[] { (1f, 9L), (0f, 5L), (-0f, 1L), (-1f, 3L), (0f, 7L), (-0f, 8L) })
            if (top.WouldEnter(score, id)) top.Push(score, id);
        var got = Drain(ref top, 2);
        Assert.Equal([9L, 1L], got.Ids);
    }

    [Fact]
    public void Pushing_without_asking_and_merging_partial_collectors_give_the_same_answer()
    {
        const int k = 40;
        var rng = new Random(5);
        var pairs = Enumerable.Range(0, 3000).Select(i => (MathF.Round((float)rng.NextDouble(), 2), (long)rng.Next())).DistinctBy(p => p.Item2).ToArray();
        var expected = Expected(pairs, k);

        var all = new TopKCollector(k);
        foreach (var (score, id) in pairs) all.Push(score, id);
        var got = Drain(ref all, k);
        Assert.Equal(expected.Ids, got.Ids);

        var parts = Enumerable.Range(0, 5).Select(_ => new TopKCollector(k)).ToArray();
        for (int i = 0; i < pairs.Length; i++)
            if (parts[i % 5].WouldEnter(pairs[i].Item1, pairs[i].Item2)) parts[i % 5].Push(pairs[i].Item1, pairs[i].Item2);
        var merged = new TopKCollector(k);
        foreach (var part in parts) merged.Merge(part);
        got = Drain(ref merged, k);
        Assert.Equal(expected.Ids, got.Ids);
        Assert.Equal(expected.Scores, got.Scores);
    }

    [Fact]
    public void A_reset_collector_forgets_its_bar()
    {
        var top = new TopKCollector(2);
        for (int i = 0; i < 10; i++) top.Push(10 + i, i);
        Assert.True(top.Threshold > 10);
        top.Reset();
        Assert.Equal(float.NegativeInfinity, top.Threshold);
        Assert.True(top.WouldEnter(-5, 99));
        top.Push(-5, 99);
        var got = Drain(ref top, 3);
        Assert.Equal([99L, -1, -1], got.Ids);
        Assert.Equal([-5f, float.NegativeInfinity, float.NegativeInfinity], got.Scores);
    }

    [Fact]
    public void A_NaN_score_never_enters()
    {
        var top = new TopKCollector(3);
        top.Push(float.NaN, 1);
        for (int i = 0; i < 20; i++) top.Push(i % 2 == 0 ? float.NaN : i, 100 + i);
        var got = Drain(ref top, 4);
        Assert.Equal([119L, 117, 115, -1], got.Ids);
        Assert.Equal([19f, 17, 15, float.NegativeInfinity], got.Scores);
    }
}
