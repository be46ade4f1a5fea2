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
        // The queries' terms come first, so that the postings several of them name are decoded and scored once.
        var scratch = _scratch.Value!;
        int perQuery = lexical.Settings.QueryTerms;
        var terms = scratch.CallTerms(texts.Length * perQuery);
        var counts = scratch.CallCounts(texts.Length);
        int all = 0;
        for (int q = 0; q < texts.Length; q++)
        {
            ct.ThrowIfCancellationRequested();
            all += counts[q] = lexical.QueryTerms(texts[q], terms.Slice(all, perQuery), scratch);
        }
        scratch.Shared.Share(lexical, terms[..all], texts.Length);
        for (int q = 0, at = 0; q < texts.Length; at += counts[q++])
        {
            ct.ThrowIfCancellationRequested();
            lexical.Search(terms.Slice(at, counts[q]), k, ids.Slice(q * k, k), scores.Slice(q * k, k), scratch, exclusions, q,
                scratch.Shared.Count > 0 ? scratch.Shared : null);
        }
    }

    public void Dispose() => _scratch.Dispose();
}
