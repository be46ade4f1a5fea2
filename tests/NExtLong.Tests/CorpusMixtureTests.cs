using System.Text;
using NExtLong.Corpus;

namespace NExtLong.Tests;

public class CorpusMixtureTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(new[] { 2.0, 1.0 }, 10L, new[] { 7L, 3L })]
    [InlineData(new[] { 1.0, 1.0, 1.0 }, 10L, new[] { 4L, 3L, 3L })]
    [InlineData(new[] { 1.0, 1.0, 1.0 }, 11L, new[] { 4L, 4L, 3L })]
    [InlineData(new[] { 0.5, 0.3, 0.2 }, 7L, new[] { 4L, 2L, 1L })]
    [InlineData(new[] { 0.1, 0.2, 0.7 }, 10L, new[] { 1L, 2L, 7L })]
    [InlineData(new[] { 3.0, 1.0 }, 0L, new[] { 0L, 0L })]
    [InlineData(new[] { 1e-300, 1e300 }, 1_000_000_000_000L, new[] { 0L, 1_000_000_000_000L })]
    public void Apportions_by_largest_remainder_with_ties_to_the_earlier_source(double[] weights, long total, long[] expected) =>
        Assert.Equal(expected, CorpusMixture.Apportion(weights, total));

    [Fact]
    public void Shares_always_sum_to_the_total_and_stay_within_one_of_the_exact_quota()
    {
        var random = new Random(20240611);
        for (int trial = 0; trial < 2000; trial++)
        {
            double[] weights = Enumerable.Range(0, random.Next(1, 6)).Select(_ => random.NextDouble() * 10 + 1e-6).ToArray();
            long total = random.Next(0, 1_000_000);

            long[] shares = CorpusMixture.Apportion(weights, total);

            Assert.Equal(total, shares.Sum());
            double sum = weights.Sum();
            for (int i = 0; i < weights.Length; i++)
                Assert.InRange(shares[i], Math.Floor(total * weights[i] / sum) - 1, Math.Ceiling(total * weights[i] / sum) + 1);
        }
    }

    [Fact]
    public void Stride_scheduling_interleaves_by_weight_deterministically()
    {
        string order = string.Concat(CorpusMixture.Interleave([Endless('A'), Endless('B')], [3.0, 1.0]).Take(12));

        Assert.Equal("AAABAAABAAAB", order);
        Assert.Equal(order, string.Concat(CorpusMixture.Interleave([Endless('A'), Endless('B')], [3.0, 1.0]).Take(12)));
    }

    [Theory]
    [InlineData(new[] { 0.7, 0.3 })]
    [InlineData(new[] { 0.5, 0.3, 0.2 })]
    [InlineData(new[] { 1.0, 1.0, 1.0, 1.0 })]
    public void Every_prefix_holds_each_source_within_one_document_of_its_share(double[] weights)
    {
        var streams = weights.Select((_, i) => Endless((char)('A' + i))).ToArray();
        var counts = new long[weights.Length];
        long n = 0;
        double sum = weights.Sum();

        foreach (char c in CorpusMixture.Interleave(streams, weights).Take(20_000))
        {
            counts[c - 'A']++;
            n++;
            for (int i = 0; i < weights.Length; i++)
                Assert.InRange(counts[i], n * weights[i] / sum - 1, n * weights[i] / sum + 1);
        }
    }

    [Fact]
    public void An_exhausted_source_drops_out_and_the_others_go_on()
    {
        var items = CorpusMixture.Interleave([Finite('A', 2), Finite('B', 5), Finite('C', 3)], [1.0, 1.0, 2.0]).ToList();

        Assert.Equal("CABCCABBBB", string.Concat(items));
    }

    [Fact]
    public void A_mixture_reads_each_source_up_to_its_share_interleaved_by_weight()
    {
        using var dir = new CorpusTestDirectory();
        string fineweb = dir.WriteText("fineweb-edu/part.jsonl", Lines("fw", 100));
        string cosmopedia = dir.WriteText("cosmopedia-v2/part.jsonl.gz", Lines("cp", 100));
        var mixture = new CorpusMixture([CorpusSource.Parse($"fineweb-edu={fineweb}@3"), CorpusSource.Parse($"cosmopedia-v2={cosmopedia}@1")]);
        var report = new CorpusReadReport();

        var documents = mixture.Read(new CorpusReadOptions(), report, total: 40, Ct).ToList();

        Assert.Equal([3.0, 1.0], mixture.Weights);
        Assert.Equal(["fineweb-edu", "cosmopedia-v2"], documents.Take(4).Skip(2).Select(d => d.Source));
        Assert.Equal(30, documents.Count(d => d.Id.StartsWith("fw", StringComparison.Ordinal)));
        Assert.Equal(10, documents.Count(d => d.Id.StartsWith("cp", StringComparison.Ordinal)));
        Assert.Equal(["fw0", "fw1", "fw2", "cp0", "fw3"], documents.Take(5).Select(d => d.Id));
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"fw{i}"), documents.Where(d => d.Id.StartsWith("fw", StringComparison.Ordinal)).Select(d => d.Id));
    }

    [Fact]
    public void Sources_of_a_mixture_need_distinct_names()
    {
        Assert.Throws<ArgumentException>(() => new CorpusMixture([new CorpusSource("a", ["x.jsonl"]), new CorpusSource("a", ["y.jsonl"])]));
        Assert.Throws<ArgumentException>(() => new CorpusMixture([]));
    }

    private static IEnumerable<char> Endless(char c)
    {
        while (true)
            yield return c;
    }

    private static IEnumerable<char> Finite(char c, int count) => Enumerable.Repeat(c, count);

    private static string Lines(string prefix, int count)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
            text.Append($"{{\"id\":\"{prefix}{i}\",\"text\":\"text {i}\"}}\n");
        return text.ToString();
    }
}
