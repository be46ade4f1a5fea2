using NExtLong.Chunking;
using NExtLong.Index;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// Builds the long document of Algorithm 1 lines 30–33: t = [l_1, …, l_p] with l_i = [m_i, n_i1, …, n_ik],
/// each meta-chunk placed before its negatives (the paper's best placement, Table 5 "Head"; tail and random are
/// its ablations), pieces joined by a separator. The result is cut to exactly T tokens of the target tokenizer;
/// with a <see cref="ChunkTokenCache"/>, pieces that are index chunks take their ids from it instead of being encoded.
/// </summary>
internal sealed class LongDocumentAssembler(ChunkIndex index, TargetTokenizer tokenizer, string separator, ChunkTokenCache? cache = null)
{
    public string Separator { get; } = separator;

    /// <summary>
    /// Assembles and cuts to <paramref name="targetTokens"/>; returns null when the whole interleaving is shorter
    /// than that (the caller retrieves more negatives and tries again). <paramref name="metaChunkIds"/>: the index
    /// chunk each meta-chunk's text is (the meta-document as indexed), for the cache; null when it is not indexed.
    /// </summary>
    public (string Text, List<DocumentSpan> Spans, int[] TokenIds)? Assemble(string metaText, IReadOnlyList<ChunkSpan> metaChunks,
        string metaId, string metaSource, IReadOnlyList<List<MinedNegative>> negatives, int targetTokens,
        MetaChunkPlacement placement = MetaChunkPlacement.Head, Random? random = null, IReadOnlyList<long>? metaChunkIds = null)
        => Assemble(metaText, metaChunks, metaId, metaSource, negatives, targetTokens, placement, random, metaChunkIds, out _);

    /// <summary>
    /// As the other overload, from the meta-chunks <paramref name="negatives"/> holds lists for (the first ones, when
    /// the rest are not yet mined): <paramref name="decided"/> says whether the outcome is already the one all of them
    /// would give, the cut falling before what the rest could change (<see cref="SpannedText.CutToTokens(TargetTokenizer, int, ChunkTokenCache?, bool, out bool)"/>);
    /// null is returned when it is not.
    /// </summary>
    public (string Text, List<DocumentSpan> Spans, int[] TokenIds)? Assemble(string metaText, IReadOnlyList<ChunkSpan> metaChunks,
        string metaId, string metaSource, IReadOnlyList<List<MinedNegative>> negatives, int targetTokens,
        MetaChunkPlacement placement, Random? random, IReadOnlyList<long>? metaChunkIds, out bool decided)
    {
        using var text = new SpannedText(Separator);
        var documents = new Dictionary<int, DocumentRecord>();
        int assembled = Math.Min(metaChunks.Count, negatives.Count);
        for (int i = 0; i < assembled; i++)
        {
            var list = negatives[i];
            int metaAt = placement switch
            {
                MetaChunkPlacement.Head => 0,
                MetaChunkPlacement.Tail => list.Count,
                _ => (random ?? Random.Shared).Next(list.Count + 1),
            };
            for (int r = 0; r <= list.Count; r++)
            {
                if (r == metaAt)
                    text.Append(metaChunks[i].Of(metaText), new DocumentSpan { Role = SpanRole.Meta, MetaChunk = i, DocumentId = metaId, Source = metaSource }, metaChunkIds?[i] ?? -1);
                if (r == list.Count) break;
                if (list[r].ChunkId == NegativeMiner.MetaChunkItself)
                {
                    text.Append(metaChunks[i].Of(metaText), new DocumentSpan { Role = SpanRole.Repeat, MetaChunk = i, DocumentId = metaId, Source = metaSource, Rank = r + 1, Similarity = list[r].Similarity }, metaChunkIds?[i] ?? -1);
                    continue;
                }
                var chunk = index.Chunk(list[r].ChunkId);
                if (!documents.TryGetValue(chunk.Document, out var doc)) documents[chunk.Document] = doc = index.Document(chunk.Document);
                text.AppendUtf8(index.ChunkUtf8(list[r].ChunkId), new DocumentSpan { Role = SpanRole.Negative, MetaChunk = i, ChunkId = list[r].ChunkId, DocumentId = doc.Id, Source = doc.Source, Rank = r + 1, Similarity = list[r].Similarity, Cosine = list[r].Cosine }, list[r].ChunkId);
            }
        }
        // Too short, or (rarely) no prefix has exactly T tokens: the caller retries with more negatives.
        return text.CutToTokens(tokenizer, targetTokens, cache, complete: assembled == metaChunks.Count, out decided);
    }
}
