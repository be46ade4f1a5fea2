using NExtLong.Corpus;
using NExtLong.Tokenization;

namespace NExtLong.Pipeline;

/// <summary>
/// The length distribution of a corpus in tokens of a target tokenizer (paper Appendix A.2, Table 6): how many
/// documents are short (≤ 8,192 tokens) and how long they are. Documents are tokenized in parallel batches; only
/// their lengths are kept.
/// </summary>
public sealed record CorpusLengthStats(
    string Tokenizer,
    long Documents,
    long Tokens,
    long Characters,
    double Mean,
    int Median,
    int P90,
    int P99,
    int Max,
    double ShareAtMost8192,
    IReadOnlyList<(int UpTo, long Documents)> Histogram)
{
    public const int ShortLimit = 8192;

    public static CorpusLengthStats Measure(IReadOnlyList<CorpusSource> sources, TargetTokenizer tokenizer, CorpusReadOptions options,
        CorpusReadReport report, int threads, Action<long>? progress = null, CancellationToken ct = default)
    {
        OptionValidationException.InRange("Threads", threads, 1, ExecutionOptions.MaxThreads);
        var lengths = new List<int>();
        long chars = 0;
        var batch = new List<string>(1024);
        foreach (var source in sources)
            foreach (var doc in CorpusReader.Read(source, options, report, ct))
            {
                batch.Add(doc.Text);
                if (batch.Count == batch.Capacity) Flush();
            }
        Flush();
        lengths.Sort();
        int n = lengths.Count;
        int At(double q) => n == 0 ? 0 : lengths[Math.Min(n - 1, (int)Math.Ceiling(q * n) - 1 < 0 ? 0 : (int)Math.Ceiling(q * n) - 1)];
        long tokens = lengths.Sum(l => (long)l);
        var histogram = new List<(int, long)>();
        int bound = 256, from = 0;
        while (from < n)
        {
            int to = from;
            while (to < n && lengths[to] <= bound) to++;
            histogram.Add((bound, to - from));
            from = to;
            bound = bound >= int.MaxValue / 2 ? int.MaxValue : bound * 2;
        }
        return new CorpusLengthStats(tokenizer.Name, n, tokens, chars, n == 0 ? 0 : (double)tokens / n, At(0.5), At(0.9), At(0.99),
            n == 0 ? 0 : lengths[^1], n == 0 ? 0 : (double)lengths.Count(l => l <= ShortLimit) / n, histogram);

        void Flush()
        {
            var counts = new int[batch.Count];
            Parallel.For(0, batch.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct },
                i => counts[i] = tokenizer.CountTokens(batch[i]));
            lengths.AddRange(counts);
            chars += batch.Sum(t => (long)TextLength.Of(t));
            batch.Clear();
            progress?.Invoke(lengths.Count);
        }
    }
}
