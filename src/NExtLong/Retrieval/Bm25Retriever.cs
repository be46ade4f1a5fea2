using NExtLong.Index;

namespace NExtLong.Retrieval;

/// <summary>BM25 over the lexical index, each meta-chunk queried by its most informative terms; needs no embedder.</summary>
internal sealed class Bm25Retriever(LexicalIndex lexical) : IChunkRetriever, IDisposable
{
    private readonly ThreadLocal<LexicalScratch> _scratch = new(() => new LexicalScratch());

    public RetrieverKind Kind => RetrieverKind.Bm25;

    public bool NeedsVectors => false;

    public bool ScoresAreCosines => false;

    public bool ResultsAreNested => true;

    public void Search(ReadOnlySpan<string> texts, ReadOnlySpan<float> vectors, int k, SearchExclusions exclusions, Span<long> ids, Span<float> scores,
        CancellationToken ct = default, int threads = 1)
    {
        if (threads > 1 && texts.Length > 1)
        {
            // Queries are independent: split them over the threads (spans cannot cross into the loop; arrays can).
            string[] all = texts.ToArray();
            var allIds = new long[all.Length * k];
            var allScores = new float[all.Length * k];
            Parallel.For(0, all.Length, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct },
                q => SearchOne(all[q], q, k, exclusions, allIds.AsSpan(q * k, k), allScores.AsSpan(q * k, k)));
            allIds.CopyTo(ids);
            allScores.CopyTo(scores);
            return;
        }
        for (int q = 0; q < texts.Length; q++)
        {
            ct.ThrowIfCancellationRequested();
            SearchOne(texts[q], q, k, exclusions, ids.Slice(q * k, k), scores.Slice(q * k, k));
        }
    }

    private void SearchOne(string text, int query, int k, SearchExclusions exclusions, Span<long> ids, Span<float> scores)
    {
        var scratch = _scratch.Value!;
        Span<int> terms = stackalloc int[lexical.Settings.QueryTerms];
        int n = lexical.QueryTerms(text, terms, scratch);
        lexical.Search(terms[..n], k, ids, scores, scratch, exclusions, query);
    }

    public void Dispose() => _scratch.Dispose();
}
