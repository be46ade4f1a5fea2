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
        // One thread: a query's cost is its own postings, so the callers' threads already run queries side by side.
        var scratch = _scratch.Value!;
        Span<int> terms = stackalloc int[lexical.Settings.QueryTerms];
        for (int q = 0; q < texts.Length; q++)
        {
            ct.ThrowIfCancellationRequested();
            int n = lexical.QueryTerms(texts[q], terms, scratch);
            lexical.Search(terms[..n], k, ids.Slice(q * k, k), scores.Slice(q * k, k), scratch, exclusions, q);
        }
    }

    public void Dispose() => _scratch.Dispose();
}
