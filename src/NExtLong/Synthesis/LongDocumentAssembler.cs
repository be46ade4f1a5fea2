using System.Text;
using NExtLong.Chunking;
using NExtLong.Index;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// Builds the long document of Algorithm 1 lines 30–33: t = [l_1, …, l_p] with l_i = [m_i, n_i1, …, n_ik],
/// each meta-chunk placed before its negatives (the paper's best placement, Table 5 "Head"; tail and random are
/// its ablations), pieces joined by a separator. The result is cut to exactly T tokens of the target tokenizer.
/// </summary>
public sealed class LongDocumentAssembler(ChunkIndex index, TargetTokenizer tokenizer, string separator)
{
    public string Separator { get; } = separator;

    /// <summary>
    /// Assembles and cuts to <paramref name="targetTokens"/>; returns null when the whole interleaving is shorter
    /// than that (the caller retrieves more negatives and tries again).
    /// </summary>
    public (string Text, List<DocumentSpan> Spans)? Assemble(string metaText, IReadOnlyList<ChunkSpan> metaChunks,
        string metaId, string metaSource, IReadOnlyList<List<MinedNegative>> negatives, int targetTokens,
        MetaChunkPlacement placement = MetaChunkPlacement.Head, Random? random = null)
    {
        var text = new StringBuilder();
        var pieces = new List<(DocumentSpan Span, int Utf16Start, int Utf16End)>();
        int scalars = 0;
        var documents = new Dictionary<int, DocumentRecord>();
        for (int i = 0; i < metaChunks.Count; i++)
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
                    Append(metaChunks[i].Of(metaText), new DocumentSpan(SpanRole.Meta, i, -1, metaId, metaSource, 0, null, 0, 0, 0, 0, false));
                if (r == list.Count) break;
                if (list[r].ChunkId == NegativeMiner.MetaChunkItself)
                {
                    Append(metaChunks[i].Of(metaText), new DocumentSpan(SpanRole.Repeat, i, -1, metaId, metaSource, r + 1, list[r].Similarity, 0, 0, 0, 0, false));
                    continue;
                }
                var chunk = index.Chunk(list[r].ChunkId);
                if (!documents.TryGetValue(chunk.Document, out var doc)) documents[chunk.Document] = doc = index.Document(chunk.Document);
                Append(index.ChunkText(list[r].ChunkId), new DocumentSpan(SpanRole.Negative, i, list[r].ChunkId, doc.Id, doc.Source, r + 1, list[r].Similarity, 0, 0, 0, 0, false));
            }
        }

        string full = text.ToString();
        var cut = tokenizer.TruncateToTokens(full, targetTokens);
        // Too short, or (rarely) no prefix has exactly T tokens: the caller retries with more negatives.
        if (!cut.IsExact) return null;
        int length = cut.Length;
        string result = full[..length];

        var kept = pieces.Where(p => p.Utf16Start < length).ToList();
        var starts = kept.Select(p => p.Utf16Start).ToArray();
        var tokenStarts = tokenizer.TokenIndexAtCharOffsets(result, starts);
        var spans = new List<DocumentSpan>(kept.Count);
        for (int i = 0; i < kept.Count; i++)
        {
            var (span, start, end) = kept[i];
            bool truncated = end > length;
            int charEnd = truncated ? span.CharStart + TextLength.Of(full.AsSpan(start, length - start)) : span.CharEnd;
            int tokenEnd = i + 1 < kept.Count ? tokenStarts[i + 1] : targetTokens;
            spans.Add(span with { CharEnd = charEnd, TokenStart = tokenStarts[i], TokenEnd = tokenEnd, Truncated = truncated });
        }
        return (result, spans);

        void Append(ReadOnlySpan<char> piece, DocumentSpan span)
        {
            if (text.Length > 0)
            {
                text.Append(Separator);
                scalars += TextLength.Of(Separator);
            }
            int start = text.Length, startScalars = scalars;
            text.Append(piece);
            scalars += TextLength.Of(piece);
            pieces.Add((span with { CharStart = startScalars, CharEnd = scalars }, start, text.Length));
        }
    }
}
