using System.Numerics.Tensors;
using NExtLong.Index;

namespace NExtLong.Retrieval;

/// <summary>
/// BM25 and embeddings together. <see cref="HybridFusion.ReciprocalRank"/> (the default, `--hybrid rrf`) fuses the
/// dense and BM25 top lists by Σ 1/(60 + rank) (Cormack et al. 2009); <see cref="HybridFusion.Rerank"/> (`--hybrid
/// rerank`) takes BM25's top candidates and orders them by embedding cosine (measured worse on same-document P@1,
/// faster: docs/RETRIEVAL.md). Either
/// way the score returned is the cosine, so the near-duplicate threshold keeps its meaning.
/// </summary>
internal sealed class HybridRetriever(ChunkIndex index, LexicalIndex lexical, HybridFusion fusion = HybridFusion.ReciprocalRank) : IChunkRetriever, IDisposable
{
    /// <summary>RRF's k, fixed by its authors in a pilot study and kept by Pyserini.</summary>
    public const int RrfK = 60;

    /// <summary>Candidates each list contributes: at least this many (BEIR re-ranks the top 100), or twice k.</summary>
    public const int MinDepth = 100;

    private readonly Bm25Retriever _bm25 = new(lexical);
    private readonly DenseRetriever _dense = new(index.Vectors);

    public RetrieverKind Kind => RetrieverKind.Hybrid;

    public HybridFusion Fusion => fusion;

    public bool NeedsVectors => true;

    public bool ScoresAreCosines => true;

    public void Search(ReadOnlySpan<string> texts, ReadOnlySpan<float> vectors, int k, SearchExclusions exclusions, Span<long> ids, Span<float> scores,
        CancellationToken ct = default, int threads = 1)
    {
        int d = index.Vectors.Dimension;
        int depth = (int)Math.Min(Math.Max(MinDepth, 2L * k), Math.Max(1, index.ChunkCount));
        var lexicalIds = new long[depth];
        var lexicalScores = new float[depth];
        // Every query's dense list in one call: an exact scan costs the same for one query as for sixteen.
        var denseIds = fusion == HybridFusion.ReciprocalRank ? new long[texts.Length * depth] : [];
        var denseScores = fusion == HybridFusion.ReciprocalRank ? new float[texts.Length * depth] : [];
        if (fusion == HybridFusion.ReciprocalRank) _dense.Search(texts, vectors, depth, exclusions, denseIds, denseScores, ct, threads);
        var vector = new float[d];
        var top = new TopKCollector(k);
        var fused = new Dictionary<long, float>();
        for (int q = 0; q < texts.Length; q++)
        {
            ct.ThrowIfCancellationRequested();
            var query = vectors.Slice(q * d, d);
            var one = new QueryExclusions(exclusions, q);
            _bm25.Search(texts.Slice(q, 1), [], depth, one, lexicalIds, lexicalScores, ct);
            if (fusion == HybridFusion.Rerank)
            {
                foreach (long id in lexicalIds)
                {
                    if (id < 0) break;
                    float cosine = Cosine(id, query, vector);
                    if (top.WouldEnter(cosine, id)) top.Push(cosine, id);
                }
            }
            else
            {
                var dense = denseIds.AsSpan(q * depth, depth);
                fused.Clear();
                for (int r = 0; r < depth; r++)
                {
                    if (lexicalIds[r] >= 0) fused[lexicalIds[r]] = fused.GetValueOrDefault(lexicalIds[r]) + 1f / (RrfK + r + 1);
                    if (dense[r] >= 0) fused[dense[r]] = fused.GetValueOrDefault(dense[r]) + 1f / (RrfK + r + 1);
                }
                foreach (var (id, score) in fused)
                    if (top.WouldEnter(score, id)) top.Push(score, id);
            }
            var rowIds = ids.Slice(q * k, k);
            var rowScores = scores.Slice(q * k, k);
            top.Drain(rowIds, rowScores);
            if (fusion == HybridFusion.ReciprocalRank)
                for (int i = 0; i < k && rowIds[i] >= 0; i++) rowScores[i] = Cosine(rowIds[i], query, vector);
        }
    }

    private float Cosine(long id, ReadOnlySpan<float> query, float[] vector)
    {
        index.ReadVector(id, vector);
        return TensorPrimitives.Dot(query, vector);
    }

    public void Dispose() => _bm25.Dispose();

    // One query of a batch searched alone: its exclusions under the batch's query number.
    private sealed class QueryExclusions(SearchExclusions inner, int query) : SearchExclusions
    {
        public override bool IsExcluded(int _, long id) => inner.IsExcluded(query, id);
    }
}
