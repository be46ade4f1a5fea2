using System.Buffers;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// SentencePiece-style unigram tokenizer: NFKC, spaces as ▁ with a leading ▁, and the most probable segmentation
/// into vocabulary pieces (Viterbi over piece log-probabilities), with pieces found by walking a character trie.
/// Serves the USE-lite vocab.json and Hugging Face tokenizer.json Unigram models (<see cref="UnigramDialect"/>).
/// </summary>
internal sealed class UnigramTokenizer : ModelTokenizer
{
    private const char Space = '\u2581';

    private readonly Dictionary<long, int> _children = new();
    private readonly List<int> _nodePiece = [-1];
    private readonly double[] _scores;
    private readonly int _unknownId;
    private readonly double _unknownScore;
    private readonly UnigramDialect _dialect;
    private readonly int[] _windowStart;
    private readonly int[] _windowEnd;

    /// <param name="pieces">Every piece in id order with its log-probability; a null score counts as 0.</param>
    /// <param name="isControl">Ids of control symbols (&lt;s&gt;, reserved ids) that text never produces.</param>
    /// <param name="unknownId">The id an unknown character becomes.</param>
    /// <param name="dialect">Whose Viterbi rules (ties, lattices, unknown score) to reproduce.</param>
    /// <param name="windowStart">Ids every window starts with (<see cref="ModelTokenizer.WindowStart"/>).</param>
    /// <param name="windowEnd">Ids every window ends with (<see cref="ModelTokenizer.WindowEnd"/>).</param>
    /// <param name="padId">The id that pads a window to its batch's length.</param>
    public UnigramTokenizer(IReadOnlyList<(string Piece, double? Score)> pieces, Predicate<int> isControl, int unknownId, UnigramDialect dialect,
        int[] windowStart, int[] windowEnd, int padId)
    {
        _scores = new double[pieces.Count];
        _unknownId = unknownId;
        _dialect = dialect;
        _windowStart = windowStart;
        _windowEnd = windowEnd;
        PadId = padId;
        double minScore = double.MaxValue;
        for (int id = 0; id < pieces.Count; id++)
        {
            // The USE vocabulary has null scores for a few pieces; its JavaScript tokenizer adds them as 0 (null + x = x).
            _scores[id] = pieces[id].Score ?? 0;
            minScore = Math.Min(minScore, _scores[id]);
            if (isControl(id) || id == unknownId || pieces[id].Piece.Length == 0)
                continue;
            int node = 0;
            foreach (char c in pieces[id].Piece)
            {
                long key = ((long)node << 16) | c;
                if (!_children.TryGetValue(key, out int child))
                {
                    child = _nodePiece.Count;
                    _nodePiece.Add(-1);
                    _children.Add(key, child);
                }
                node = child;
            }
            // A duplicate piece keeps its first id, as a trie insert that overwrote would not.
            if (_nodePiece[node] < 0)
                _nodePiece[node] = id;
        }
        // Hugging Face: unknown characters score 10 below the least likely piece (kUnkPenalty in SentencePiece).
        _unknownScore = dialect == UnigramDialect.HuggingFace ? minScore - 10 : 0;
    }

    public override IReadOnlyList<int> WindowStart => _windowStart;

    public override IReadOnlyList<int> WindowEnd => _windowEnd;

    public override int PadId { get; }

    public override void Encode(string text, List<int> ids)
    {
        string normalized = UnicodeNormalizer.Nfkc.Normalize(text);
        if (normalized.Length == 0)
            return;
        if (_dialect == UnigramDialect.UseLite)
        {
            char[] buffer = ArrayPool<char>.Shared.Rent(normalized.Length + 1);
            buffer[0] = Space;
            for (int i = 0; i < normalized.Length; i++)
                buffer[i + 1] = normalized[i] == ' ' ? Space : normalized[i];
            Segment(buffer.AsSpan(0, normalized.Length + 1), ids);
            ArrayPool<char>.Shared.Return(buffer);
            return;
        }

        char[] word = ArrayPool<char>.Shared.Rent(normalized.Length + 1);
        word[0] = Space;
        int at = 0;
        while (at < normalized.Length)
        {
            if (char.IsWhiteSpace(normalized[at]))
            {
                at++;
                continue;
            }
            int end = at;
            while (end < normalized.Length && !char.IsWhiteSpace(normalized[end]))
                end++;
            normalized.AsSpan(at, end - at).CopyTo(word.AsSpan(1));
            Segment(word.AsSpan(0, end - at + 1), ids);
            at = end;
        }
        ArrayPool<char>.Shared.Return(word);
    }

    private void Segment(ReadOnlySpan<char> s, List<int> ids)
    {
        int n = s.Length;
        double[] best = ArrayPool<double>.Shared.Rent(n + 1);
        int[] piece = ArrayPool<int>.Shared.Rent(n + 1);
        int[] length = ArrayPool<int>.Shared.Rent(n + 1);
        try
        {
            Array.Clear(best, 0, n + 1);
            Array.Clear(length, 0, n + 1);
            for (int start = 0; start < n; start++)
            {
                if (char.IsLowSurrogate(s[start]) && start > 0 && char.IsHighSurrogate(s[start - 1]))
                    continue;
                if (start > 0 && length[start] == 0)
                    continue;
                int characterLength = char.IsHighSurrogate(s[start]) && start + 1 < n && char.IsLowSurrogate(s[start + 1]) ? 2 : 1;
                bool matched = false, matchedOneCharacter = false;
                int node = 0;
                for (int end = start; end < n; end++)
                {
                    if (!_children.TryGetValue(((long)node << 16) | s[end], out node))
                        break;
                    int id = _nodePiece[node];
                    if (id < 0)
                        continue;
                    matched = true;
                    matchedOneCharacter |= end + 1 - start == characterLength;
                    Relax(start, end + 1, id, _scores[id]);
                }
                bool unknown = _dialect == UnigramDialect.UseLite ? !matched : !matchedOneCharacter;
                if (unknown)
                    Relax(start, start + characterLength, _unknownId, _unknownScore);
            }

            int count = ids.Count;
            for (int end = n; end > 0; end -= length[end])
                ids.Add(piece[end]);
            ids.Reverse(count, ids.Count - count);
            // Both implementations fuse a run of unknown characters into one unknown token.
            int write = count;
            for (int read = count; read < ids.Count; read++)
            {
                if (ids[read] == _unknownId && write > count && ids[write - 1] == _unknownId)
                    continue;
                ids[write++] = ids[read];
            }
            ids.RemoveRange(write, ids.Count - write);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(best);
            ArrayPool<int>.Shared.Return(piece);
            ArrayPool<int>.Shared.Return(length);
        }

        void Relax(int start, int end, int id, double score)
        {
            double candidate = best[start] + score;
            bool better = _dialect == UnigramDialect.UseLite
                ? best[end] == 0 || candidate >= best[end]
                : length[end] == 0 || candidate > best[end];
            if (!better)
                return;
            best[end] = candidate;
            piece[end] = id;
            length[end] = end - start;
        }
    }
}
