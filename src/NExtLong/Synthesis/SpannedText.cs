using System.Buffers;
using System.Text;
using NExtLong.Index;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// A long text built from pieces joined by a separator, remembering where each piece came from, and cut to
/// exactly T tokens of the target tokenizer with every surviving span's character and token offsets. The text is
/// built in a pooled buffer (dispose to give it back): only the kept prefix ever becomes a string.
/// </summary>
/// <remarks>
/// Where the tokenizer's ids add up at joins (<see cref="TargetTokenizer.SplitsAtJoins"/>), the cut goes segment by
/// segment: a segment runs from one piece start that is an <see cref="ExactTruncation.IsJoinBoundary"/> to the next,
/// so its ids in the whole text are its own encoding's. Segments before the one holding the cut are taken whole (a
/// segment of index chunks with <see cref="ChunkTokenCache"/> entries, joined inside where
/// <see cref="ExactTruncation.SplitsWholeText"/>, is not encoded at all: each entry is a chunk's text and the
/// separator), and the cut is searched in that one segment alone. With or without the cache the
/// segments, hence the cut, are the same.
/// </remarks>
internal sealed class SpannedText(string separator) : IDisposable
{
    private char[] _text = ArrayPool<char>.Shared.Rent(1 << 16);
    private int _length;
    private readonly List<(DocumentSpan Span, int Utf16Start, int Utf16End, long CachedChunk)> _pieces = [];
    private readonly int _separatorChars = TextLength.Of(separator);

    /// <summary>Length so far in characters (Unicode scalar values).</summary>
    public int Chars { get; private set; }

    /// <param name="piece">The piece's text.</param>
    /// <param name="span">Where it comes from; its character range is filled in here.</param>
    /// <param name="cachedChunk">The index chunk whose text the piece is, to take its ids from a token cache; -1 for none.</param>
    public void Append(ReadOnlySpan<char> piece, DocumentSpan span, long cachedChunk = -1)
    {
        int start = StartPiece();
        Write(piece);
        EndPiece(start, span, cachedChunk);
    }

    /// <summary>
    /// As <see cref="Append"/>, for a piece read as UTF-8 (an index chunk, in place): decoded straight into the text, so
    /// no string is made per chunk (a 64K document holds a few hundred).
    /// </summary>
    public void AppendUtf8(ReadOnlySpan<byte> piece, DocumentSpan span, long cachedChunk = -1)
    {
        int start = StartPiece();
        Reserve(Encoding.UTF8.GetMaxCharCount(piece.Length));
        _length += Encoding.UTF8.GetChars(piece, _text.AsSpan(_length));
        EndPiece(start, span, cachedChunk);
    }

    // The separator before every piece but the first; returns where the piece starts.
    private int StartPiece()
    {
        if (_length > 0)
        {
            Write(separator);
            Chars += _separatorChars;
        }
        return _length;
    }

    // Records the piece written since start: its characters and where it came from.
    private void EndPiece(int start, DocumentSpan span, long cachedChunk)
    {
        int startChars = Chars;
        Chars += TextLength.Of(_text.AsSpan(start, _length - start));
        _pieces.Add((span with { CharStart = startChars, CharEnd = Chars }, start, _length, cachedChunk));
    }

    /// <summary>
    /// The text cut to exactly <paramref name="targetTokens"/> tokens, with the spans that survive the cut and the
    /// text's token ids (collected by the cut itself); null when it is too short or (rarely) no prefix has exactly
    /// that many tokens. <paramref name="cache"/>, made for this tokenizer and separator, saves encoding cached chunks.
    /// </summary>
    public (string Text, List<DocumentSpan> Spans, int[] TokenIds)? CutToTokens(TargetTokenizer tokenizer, int targetTokens, ChunkTokenCache? cache = null)
        => CutToTokens(tokenizer, targetTokens, cache, complete: true, out _);

    /// <summary>
    /// As <see cref="CutToTokens(TargetTokenizer, int, ChunkTokenCache?)"/> for a text that more pieces may follow
    /// (<paramref name="complete"/> false): <paramref name="decided"/> says whether the outcome is the one any text
    /// continuing this one would give. It is when the cut falls in a segment that a join inside the text ends (the
    /// pieces after it can change neither that segment nor those before it); a cut in the last segment, a text too
    /// short, or a tokenizer whose ids do not add up at joins leave it undecided (null is then returned).
    /// </summary>
    public (string Text, List<DocumentSpan> Spans, int[] TokenIds)? CutToTokens(TargetTokenizer tokenizer, int targetTokens, ChunkTokenCache? cache, bool complete, out bool decided)
    {
        ReadOnlySpan<char> full = _text.AsSpan(0, _length);
        decided = complete;
        if (!complete && !tokenizer.SplitsAtJoins) return null;
        int[] ids = ArrayPool<int>.Shared.Rent(targetTokens);
        try
        {
            bool inside = false;
            var cut = tokenizer.SplitsAtJoins
                ? CutBySegments(tokenizer, full, targetTokens, ids, cache, out inside)
                : tokenizer.TruncateToTokens(full, targetTokens, ids);
            decided = complete || inside;
            if (!decided || !cut.IsExact) return null;
            int length = cut.Length;
            string result = full[..length].ToString();
            int kept = _pieces.FindIndex(p => p.Utf16Start >= length) is >= 0 and int end ? end : _pieces.Count;
            var starts = new int[kept];
            for (int i = 0; i < kept; i++) starts[i] = _pieces[i].Utf16Start;
            var tokenIds = ids.AsSpan(0, targetTokens).ToArray();
            var tokenStarts = tokenizer.TokenIndexAtCharOffsets(result, tokenIds, starts);
            var spans = new List<DocumentSpan>(kept);
            for (int i = 0; i < kept; i++)
            {
                var (span, start, pieceEnd, _) = _pieces[i];
                bool truncated = pieceEnd > length;
                int charEnd = truncated ? span.CharStart + TextLength.Of(full[start..length]) : span.CharEnd;
                int tokenEnd = i + 1 < kept ? tokenStarts[i + 1] : targetTokens;
                spans.Add(span with { CharEnd = charEnd, TokenStart = tokenStarts[i], TokenEnd = tokenEnd, Truncated = truncated });
            }
            return (result, spans, tokenIds);
        }
        finally
        {
            ArrayPool<int>.Shared.Return(ids);
        }
    }

    // inside: the cut fell in a segment that ends at a join inside the text, where pieces appended later change nothing.
    private TruncatedText CutBySegments(TargetTokenizer tokenizer, ReadOnlySpan<char> full, int target, Span<int> ids, ChunkTokenCache? cache, out bool inside)
    {
        int before = 0;
        inside = false;
        for (int i = 0, next; i < _pieces.Count; i = next)
        {
            next = i + 1;
            // A cache entry is a chunk and the separator. A segment's ids are its pieces' entries, one after another,
            // when every piece is a cached chunk, another piece follows the last, and the joins inside the segment
            // split the whole segment (ExactTruncation.SplitsWholeText: a chunk that starts with a space).
            bool cached = cache is not null && _pieces[i].CachedChunk >= 0;
            int count = cached ? cache!.Ids(_pieces[i].CachedChunk).Length : 0;
            while (next < _pieces.Count && !ExactTruncation.IsJoinBoundary(full, _pieces[next].Utf16Start))
            {
                cached = cached && _pieces[next].CachedChunk >= 0 && ExactTruncation.SplitsWholeText(full, _pieces[next].Utf16Start);
                if (cached) count += cache!.Ids(_pieces[next].CachedChunk).Length;
                next++;
            }
            cached = cached && next < _pieces.Count;
            int start = _pieces[i].Utf16Start, end = next < _pieces.Count ? _pieces[next].Utf16Start : _length;
            IReadOnlyList<int>? encoded = cached ? null : tokenizer.EncodeToIds(full[start..end]);
            if (!cached) count = encoded!.Count;
            if (before + count > target)
            {
                // The cut searches prefixes of the segment, which a whole-text join need not split: encode it all.
                var within = tokenizer.TruncateToTokens(full[start..end], target - before, ids[before..]);
                inside = next < _pieces.Count;
                return within with { Length = start + within.Length, TokenCount = before + within.TokenCount };
            }
            if (cached)
            {
                for (int p = i, at = before; p < next; p++)
                {
                    var entry = cache!.Ids(_pieces[p].CachedChunk);
                    entry.CopyTo(ids[at..]);
                    at += entry.Length;
                }
            }
            else
            {
                Copy(encoded!, ids[before..]);
            }
            before += count;
            // The segment ends at a join (one more scalar adds a token) or the text's end: the cut is here.
            if (before == target)
            {
                inside = next < _pieces.Count;
                return new TruncatedText(TruncationStatus.Exact, end, target);
            }
        }
        return new TruncatedText(TruncationStatus.TextTooShort, _length, before);
    }

    private static void Copy(IReadOnlyList<int> source, Span<int> destination)
    {
        if (source is List<int> list)
            System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list).CopyTo(destination);
        else
            for (int i = 0; i < source.Count; i++) destination[i] = source[i];
    }

    public void Dispose()
    {
        if (_text.Length == 0) return;
        ArrayPool<char>.Shared.Return(_text);
        _text = [];
    }

    private void Write(ReadOnlySpan<char> chars)
    {
        Reserve(chars.Length);
        chars.CopyTo(_text.AsSpan(_length));
        _length += chars.Length;
    }

    // Room for `more` characters after the text.
    private void Reserve(int more)
    {
        if (_length + more <= _text.Length) return;
        char[] larger = ArrayPool<char>.Shared.Rent(Math.Max(_text.Length * 2, _length + more));
        _text.AsSpan(0, _length).CopyTo(larger);
        ArrayPool<char>.Shared.Return(_text);
        _text = larger;
    }
}
