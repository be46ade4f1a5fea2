using System.Buffers;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// A long text built from pieces joined by a separator, remembering where each piece came from, and cut to
/// exactly T tokens of the target tokenizer with every surviving span's character and token offsets. The text is
/// built in a pooled buffer (dispose to give it back): only the kept prefix ever becomes a string.
/// </summary>
internal sealed class SpannedText(string separator) : IDisposable
{
    private char[] _text = ArrayPool<char>.Shared.Rent(1 << 16);
    private int _length;
    private readonly List<(DocumentSpan Span, int Utf16Start, int Utf16End)> _pieces = [];
    private readonly int _separatorChars = TextLength.Of(separator);

    /// <summary>Length so far in characters (Unicode scalar values).</summary>
    public int Chars { get; private set; }

    public void Append(ReadOnlySpan<char> piece, DocumentSpan span)
    {
        if (_length > 0)
        {
            Write(separator);
            Chars += _separatorChars;
        }
        int start = _length, startChars = Chars;
        Write(piece);
        Chars += TextLength.Of(piece);
        _pieces.Add((span with { CharStart = startChars, CharEnd = Chars }, start, _length));
    }

    /// <summary>
    /// The text cut to exactly <paramref name="targetTokens"/> tokens, with the spans that survive the cut and the
    /// text's token ids (collected by the cut itself); null when it is too short or (rarely) no prefix has exactly
    /// that many tokens.
    /// </summary>
    public (string Text, List<DocumentSpan> Spans, int[] TokenIds)? CutToTokens(TargetTokenizer tokenizer, int targetTokens)
    {
        ReadOnlySpan<char> full = _text.AsSpan(0, _length);
        int[] ids = ArrayPool<int>.Shared.Rent(targetTokens);
        try
        {
            var cut = tokenizer.TruncateToTokens(full, targetTokens, ids);
            if (!cut.IsExact) return null;
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
                var (span, start, pieceEnd) = _pieces[i];
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

    public void Dispose()
    {
        if (_text.Length == 0) return;
        ArrayPool<char>.Shared.Return(_text);
        _text = [];
    }

    private void Write(ReadOnlySpan<char> chars)
    {
        if (_length + chars.Length > _text.Length)
        {
            char[] larger = ArrayPool<char>.Shared.Rent(Math.Max(_text.Length * 2, _length + chars.Length));
            _text.AsSpan(0, _length).CopyTo(larger);
            ArrayPool<char>.Shared.Return(_text);
            _text = larger;
        }
        chars.CopyTo(_text.AsSpan(_length));
        _length += chars.Length;
    }
}
