using NExtLong.Corpus;
using NExtLong.Tokenization;

namespace NExtLong.Pipeline;

/// <summary>
/// The length distribution of a corpus in tokens of a target tokenizer (paper Appendix A.2, Table 6): how many
/// documents are short (≤ 8,192 tokens) and how long they are. Documents are tokenized in parallel batches; only
/// their lengths are kept.
/// </summary>
/// <param name="Tokenizer">The name of the tokenizer the lengths are counted in.</param>
/// <param name="Documents">Documents measured.</param>
/// <param name="Tokens">Their tokens, all together.</param>
/// <param name="Characters">Their characters (Unicode scalar values), all together.</param>
/// <param name="Mean">Mean tokens per document; 0 for no documents.</param>
/// <param name="Median">Median tokens per document (nearest rank).</param>
/// <param name="P90">The 90th percentile of tokens per document (nearest rank).</param>
/// <param name="P99">The 99th percentile of tokens per document (nearest rank).</param>
/// <param name="Max">The longest document, in tokens.</param>
/// <param name="ShareAtMost8192">The share (0–1) of documents of at most <see cref="ShortLimit"/> tokens: the paper's "short" documents.</param>
/// <param name="Histogram">
/// Documents per length bucket: (UpTo, count) for lengths in (previous UpTo, UpTo], UpTo = 256, 512, 1024, … up to the longest.
/// </param>
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
    /// <summary>The longest "short" document, in tokens: 8,192, the threshold of the paper's Table 6.</summary>
    public const int ShortLimit = 8192;

    /// <summary>Reads every document of <paramref name="sources"/> and measures its length in <paramref name="tokenizer"/>'s tokens.</summary>
    /// <param name="sources">The corpus sources, read in order.</param>
    /// <param name="tokenizer">The target tokenizer lengths are counted in.</param>
    /// <param name="options">How records are read (bad records, length cap).</param>
    /// <param name="report">Receives the documents read and the records skipped.</param>
    /// <param name="threads">Threads that tokenize a batch; 1 to 1024.</param>
    /// <param name="progress">Called with the documents measured so far, after each batch.</param>
    /// <param name="ct">Stops the measurement between documents and batches.</param>
    /// <exception cref="OptionValidationException"><paramref name="threads"/> is outside 1 to 1024.</exception>
    /// <exception cref="Corpus.CorpusFormatException">A bad record, when bad records fail the read.</exception>
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
