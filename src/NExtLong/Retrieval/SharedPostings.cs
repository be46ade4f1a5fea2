namespace NExtLong.Retrieval;

/// <summary>
/// The postings of the terms that several queries of one call share (a meta-document's meta-chunks share most of
/// their common terms: at 751,699 chunks their postings came 2.5 times per call), decoded and scored once: each
/// posting's chunk id and the float BM25 term score <see cref="LexicalIndex.Search"/> adds for it, computed by the
/// same method. The queries that share a term then add these floats, each in its own clause order, so every
/// score is the same double as before. Bounded by <see cref="DefaultMaxPostings"/> per call; a term beyond it is
/// decoded by each of its queries as before.
/// </summary>
/// <param name="maxPostings">Postings held per call at most.</param>
internal sealed class SharedPostings(int maxPostings = SharedPostings.DefaultMaxPostings)
{
    /// <summary>Postings held per call at most by default: 8 bytes each, 64 MiB.</summary>
    internal const int DefaultMaxPostings = 1 << 23;

    private readonly Dictionary<int, (int Start, int End)> _terms = [];
    private readonly Dictionary<int, int> _uses = [];

    /// <summary>Chunk ids, term after term, each term's in chunk order.</summary>
    internal int[] Docs = [];

    /// <summary>The term score of each posting in <see cref="Docs"/>.</summary>
    internal float[] Scores = [];

    /// <summary>Postings held.</summary>
    internal int Count { get; private set; }

    /// <summary>Where term <paramref name="term"/>'s postings lie in <see cref="Docs"/>, when they are held.</summary>
    public bool TryGet(int term, out int start, out int end)
    {
        if (_terms.TryGetValue(term, out var range))
        {
            (start, end) = range;
            return true;
        }
        start = end = 0;
        return false;
    }

    /// <summary>
    /// Holds the postings of every term that two or more of the <paramref name="queries"/> queries (their terms,
    /// query after query, in <paramref name="terms"/>) name, in order of first use, while they fit.
    /// </summary>
    public void Share(LexicalIndex lexical, ReadOnlySpan<int> terms, int queries)
    {
        _terms.Clear();
        _uses.Clear();
        Count = 0;
        if (queries < 2) return;
        // A term counts once per query (a query names each of its terms once).
        foreach (int t in terms) _uses[t] = _uses.GetValueOrDefault(t) + 1;
        foreach (int t in terms)
        {
            if (_uses[t] < 2 || _terms.ContainsKey(t)) continue;
            int df = lexical.DocFreq(t);
            if (df > maxPostings - Count) continue;
            if (Docs.Length < Count + df)
            {
                int size = (int)Math.Min(maxPostings, Math.Max(Count + (long)df, 2L * Docs.Length));
                Array.Resize(ref Docs, size);
                Array.Resize(ref Scores, size);
            }
            lexical.Score(t, Docs.AsSpan(Count, df), Scores.AsSpan(Count, df));
            _terms[t] = (Count, Count + df);
            Count += df;
        }
    }
}
