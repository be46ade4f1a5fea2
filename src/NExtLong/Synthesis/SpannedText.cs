using System.Text;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// A long text built from pieces joined by a separator, remembering where each piece came from, and cut to
/// exactly T tokens of the target tokenizer with every surviving span's character and token offsets.
/// </summary>
public sealed class SpannedText(string separator)
{
    private readonly StringBuilder _text = new();
    private readonly List<(DocumentSpan Span, int Utf16Start, int Utf16End)> _pieces = [];
    private readonly int _separatorChars = TextLength.Of(separator);

    /// <summary>Length so far in characters (Unicode scalar values).</summary>
    public int Chars { get; private set; }

    public void Append(ReadOnlySpan<char> piece, DocumentSpan span)
    {
        if (_text.Length > 0)
        {
            _text.Append(separator);
            Chars += _separatorChars;
        }
        int start = _text.Length, startChars = Chars;
        _text.Append(piece);
        Chars += TextLength.Of(piece);
        _pieces.Add((span with { CharStart = startChars, CharEnd = Chars }, start, _text.Length));
    }

    /// <summary>
    /// The text cut to exactly <paramref name="targetTokens"/> tokens, with the spans that survive the cut; null when
    /// it is too short or (rarely) no prefix has exactly that many tokens.
    /// </summary>
    public (string Text, List<DocumentSpan> Spans)? CutToTokens(TargetTokenizer tokenizer, int targetTokens)
    {
        string full = _text.ToString();
        var cut = tokenizer.TruncateToTokens(full, targetTokens);
        if (!cut.IsExact) return null;
        int length = cut.Length;
        string result = full[..length];
        var kept = _pieces.Where(p => p.Utf16Start < length).ToList();
        var tokenStarts = tokenizer.TokenIndexAtCharOffsets(result, kept.Select(p => p.Utf16Start).ToArray());
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
    }
}
