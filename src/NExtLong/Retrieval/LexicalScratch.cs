namespace NExtLong.Retrieval;

/// <summary>
/// One thread's working memory for lexical queries: a score accumulator and touched list per chunk (reused, cleared
/// as used), and term buffers, so a query allocates nothing but its top-k collector.
/// </summary>
internal sealed class LexicalScratch
{
    private double[] _acc = [];

    internal int[] Touched = [];
    internal int[] Found = new int[512];
    internal (float Score, int Term)[] Ranked = new (float, int)[256];
    internal readonly char[] Term = new char[Bm25Analyzer.MaxTermChars + 2];
    internal readonly byte[] Utf8 = new byte[4 * (Bm25Analyzer.MaxTermChars + 2)];

    internal double[] Accumulators(long chunks)
    {
        if (_acc.Length < chunks)
        {
            _acc = new double[chunks];
            Touched = new int[chunks];
        }
        return _acc;
    }
}
