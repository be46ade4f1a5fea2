namespace NExtLong.Retrieval;

/// <summary>
/// One thread's working memory for lexical queries: a block's score accumulators and touched list (reused, cleared
/// as used), a cursor per query term, and term buffers, so a query allocates nothing but its top-k collector.
/// </summary>
internal sealed class LexicalScratch
{
    /// <summary>Chunk ids scored at a time by default: 256 KiB of accumulators, which stay in a core's cache.</summary>
    internal const int DefaultBlockChunks = 1 << 15;

    private readonly double[] _acc;
    private PostingCursor[] _cursors = new PostingCursor[64];

    internal LexicalScratch(int blockChunks = DefaultBlockChunks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockChunks, 1);
        _acc = new double[blockChunks];
        // One more than a block: the touched list is written one place ahead of its count.
        Touched = new int[blockChunks + 1];
    }

    /// <summary>Chunk ids scored at a time (a query's accumulators cover one block).</summary>
    internal int BlockChunks => _acc.Length;

    internal readonly int[] Touched;
    internal int[] Found = new int[512];
    internal (float Score, int Term)[] Ranked = new (float, int)[256];
    internal readonly char[] Term = new char[Bm25Analyzer.MaxTermChars + 2];
    internal readonly byte[] Utf8 = new byte[4 * (Bm25Analyzer.MaxTermChars + 2)];

    /// <summary>The scored postings the queries of one call share (<see cref="Bm25Retriever"/>).</summary>
    internal readonly SharedPostings Shared = new();

    private int[] _callTerms = new int[256], _callCounts = new int[16];

    internal double[] Accumulators() => _acc;

    internal Span<PostingCursor> Cursors(int terms) => Grown(ref _cursors, terms);

    /// <summary>Room for every query term of one call, query after query (<paramref name="length"/> terms at most).</summary>
    internal Span<int> CallTerms(int length) => Grown(ref _callTerms, length);

    /// <summary>Room for how many terms each of a call's <paramref name="queries"/> queries has.</summary>
    internal Span<int> CallCounts(int queries) => Grown(ref _callCounts, queries);

    private static Span<T> Grown<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new T[Math.Max(length, 2 * buffer.Length)];
        return buffer.AsSpan(0, length);
    }
}

/// <summary>
/// Where a query term's postings stand: the next chunk id not yet scored (int.MaxValue past the end), the term's BM25
/// weight, and either the byte after that chunk's id (End = -1) or, for postings held in <see cref="SharedPostings"/>,
/// that chunk's place there and the end of the term's.
/// </summary>
internal struct PostingCursor(float weight, int doc, int position, int end = -1)
{
    public readonly float Weight = weight;
    public readonly int End = end;
    public int Doc = doc;
    public int Position = position;
}
