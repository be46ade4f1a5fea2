using System.Buffers;
using System.Globalization;
using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>
/// The cl100k_base, Llama 3 and o200k_base pre-tokenizer regexes (<see cref="TiktokenPattern"/>), hand-written
/// over Unicode scalar values, so that pre-tokens are tiktoken's for every code point. Special-token strings are
/// never split out (see <see cref="OpenAiEncodings"/>).
/// </summary>
/// <remarks>
/// <para>Why not a .NET <see cref="System.Text.RegularExpressions.Regex"/>: it matches UTF-16 code units, so
/// <c>\p{L}</c> and <c>\p{N}</c> never match a supplementary-plane letter or digit (𝔢, 𝟙, 𠝹), whose halves are
/// surrogates (Cs). tiktoken's Rust regex matches scalar values, so the pre-tokens, and the counts, differed.</para>
/// <para>Each method below follows its regex's alternatives in order, with the backtracking a leftmost-first
/// engine does worked out by hand (the comments give the argument). Classes: \p{L} = Lu Ll Lt Lm Lo, \p{N} =
/// Nd Nl No, \p{M} = Mn Mc Me, \s = White_Space, all from .NET's Unicode tables (docs/TOKENIZERS.md says where
/// they differ from tiktoken's). <c>(?i)s</c> also matches U+017F ſ, whose simple case folding is s.</para>
/// <para>No allocation per pre-token: one enumerator per call (and a pooled copy of a span input, which an
/// iterator cannot hold).</para>
/// </remarks>
internal sealed class TiktokenPreTokenizer : PreTokenizer
{
    public static readonly TiktokenPreTokenizer Cl100k = new(TiktokenPattern.Cl100k);
    public static readonly TiktokenPreTokenizer Llama3 = new(TiktokenPattern.Llama3);
    public static readonly TiktokenPreTokenizer O200k = new(TiktokenPattern.O200k);

    private const int Letter = 1 << (int)ScalarClass.UpperLetter | 1 << (int)ScalarClass.LowerLetter | 1 << (int)ScalarClass.OtherLetter;
    private const int Whitespace = 1 << (int)ScalarClass.LineBreak | 1 << (int)ScalarClass.Space;
    /// <summary>[^\r\n\p{L}\p{N}]: the optional character before a letter run.</summary>
    private const int Prefix = 1 << (int)ScalarClass.Mark | 1 << (int)ScalarClass.Space | 1 << (int)ScalarClass.Other;
    /// <summary>[^\s\p{L}\p{N}]: punctuation runs.</summary>
    private const int Punctuation = 1 << (int)ScalarClass.Mark | 1 << (int)ScalarClass.Other;
    /// <summary>o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}].</summary>
    private const int Upper = 1 << (int)ScalarClass.UpperLetter | 1 << (int)ScalarClass.OtherLetter | 1 << (int)ScalarClass.Mark;
    /// <summary>o200k's [\p{Ll}\p{Lm}\p{Lo}\p{M}].</summary>
    private const int Lower = 1 << (int)ScalarClass.LowerLetter | 1 << (int)ScalarClass.OtherLetter | 1 << (int)ScalarClass.Mark;

    /// <summary>The class of every BMP code unit; supplementary scalars are looked up as they come (no White_Space there).</summary>
    private static readonly ScalarClass[] Bmp = BuildBmpTable();

    private readonly TiktokenPattern _pattern;

    private TiktokenPreTokenizer(TiktokenPattern pattern) => _pattern = pattern;

    /// <summary>The regex this pre-tokenizer implements.</summary>
    public TiktokenPattern Pattern => _pattern;

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? [] : Split(text.AsMemory(), text.Length, rented: null);

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
            return [];
        char[] copy = ArrayPool<char>.Shared.Rent(text.Length);
        text.CopyTo(copy);
        return Split(copy, text.Length, copy);
    }

    /// <summary>The length in UTF-16 units of the pre-token starting at <paramref name="start"/>.</summary>
    public int NextLength(ReadOnlySpan<char> text, int start) => _pattern switch
    {
        TiktokenPattern.O200k => O200kLength(text, start),
        _ => Cl100kLength(text, start, trailingRunWhole: _pattern == TiktokenPattern.Cl100k),
    };

    private IEnumerable<(int Offset, int Length)> Split(ReadOnlyMemory<char> text, int length, char[]? rented)
    {
        try
        {
            for (int at = 0; at < length;)
            {
                int n = NextLength(text.Span[..length], at);
                yield return (at, n);
                at += n;
            }
        }
        finally
        {
            if (rented is not null)
                ArrayPool<char>.Shared.Return(rented);
        }
    }

    private static int Cl100kLength(ReadOnlySpan<char> t, int i, bool trailingRunWhole)
    {
        ScalarClass c = ClassAt(t, i, out int width);
        // '(?i:[sdmt]|ll|ve|re)
        if (t[i] == '\'' && ContractionLength(t, i) is > 0 and int contraction)
            return contraction;
        // [^\r\n\p{L}\p{N}]?\p{L}+ : with the prefix only if a letter follows it (else \p{L}+ fails at the prefix too).
        if (Is(c, Letter))
            return RunEnd(t, i, Letter) - i;
        if (Is(c, Prefix) && i + width < t.Length && Is(ClassAt(t, i + width, out _), Letter))
            return RunEnd(t, i + width, Letter) - i;
        // \p{N}{1,3}
        if (c == ScalarClass.Number)
            return NumberEnd(t, i) - i;
        // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
        if (PunctuationEnd(t, i, alsoSlash: false) is > 0 and int end)
            return end - i;
        return WhitespaceLength(t, i, trailingRunWhole);
    }

    private static int O200kLength(ReadOnlySpan<char> t, int i)
    {
        ScalarClass c = ClassAt(t, i, out int width);
        bool prefix = Is(c, Prefix) && i + width < t.Length;
        // P?U*W+C? then P?U+W*C?, each first with the optional prefix P, then without (backtracking order).
        int end = prefix ? UpperStarLowerPlusEnd(t, i + width) : -1;
        if (end < 0)
            end = UpperStarLowerPlusEnd(t, i);
        if (end < 0 && prefix)
            end = UpperPlusLowerStarEnd(t, i + width);
        if (end < 0)
            end = UpperPlusLowerStarEnd(t, i);
        if (end >= 0)
            return (end < t.Length && t[end] == '\'' ? end + ContractionLength(t, end) : end) - i;
        if (c == ScalarClass.Number)
            return NumberEnd(t, i) - i;
        // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
        if (PunctuationEnd(t, i, alsoSlash: true) is > 0 and int punctuationEnd)
            return punctuationEnd - i;
        return WhitespaceLength(t, i, trailingRunWhole: false);
    }

    /// <summary>
    /// [U]*[W]+ from <paramref name="s"/>, or -1. U* first takes its longest run [s, u) and gives back one scalar
    /// at a time until W+ can start. At u that needs an Ll (the only W outside U). Inside the run it needs an
    /// Lm/Lo/mark; from the last one, k, W+ ends at once (the scalar after k is Lu/Lt, or u, which is no W).
    /// </summary>
    private static int UpperStarLowerPlusEnd(ReadOnlySpan<char> t, int s)
    {
        int at = s, lastBoth = -1;
        while (at < t.Length)
        {
            ScalarClass c = ClassAt(t, at, out int width);
            if (!Is(c, Upper))
                break;
            at += width;
            if (Is(c, Lower))
                lastBoth = at;
        }
        if (at < t.Length && ClassAt(t, at, out _) == ScalarClass.LowerLetter)
            return RunEnd(t, at, Lower);
        return lastBoth;
    }

    /// <summary>[U]+[W]* from <paramref name="s"/>, or -1; both greedy runs, nothing to give back.</summary>
    private static int UpperPlusLowerStarEnd(ReadOnlySpan<char> t, int s)
    {
        if (s >= t.Length || !Is(ClassAt(t, s, out _), Upper))
            return -1;
        return RunEnd(t, RunEnd(t, s, Upper), Lower);
    }

    /// <summary>' ?[^\s\p{L}\p{N}]+' then line breaks (and '/' for o200k), or -1.</summary>
    private static int PunctuationEnd(ReadOnlySpan<char> t, int i, bool alsoSlash)
    {
        int s = t[i] == ' ' ? i + 1 : i;
        if (s >= t.Length || !Is(ClassAt(t, s, out _), Punctuation))
            return -1;
        int end = RunEnd(t, s, Punctuation);
        while (end < t.Length && (t[end] is '\r' or '\n' || (alsoSlash && t[end] == '/')))
            end++;
        return end;
    }

    /// <summary>
    /// The whitespace alternatives at a whitespace character, run [i, e): \s++$ (cl100k only: the whole run if it
    /// ends the text), then \s*[\r\n]+ (up to the run's last line break: \s* gives back until a break follows),
    /// then \s+(?!\S) (the run if it ends the text, else all but its last character), then \s (one character).
    /// </summary>
    private static int WhitespaceLength(ReadOnlySpan<char> t, int i, bool trailingRunWhole)
    {
        int e = RunEnd(t, i, Whitespace);  // White_Space is all in the BMP: one char per scalar below
        if (trailingRunWhole && e == t.Length)
            return e - i;
        int lastBreak = t[i..e].LastIndexOfAny('\r', '\n');
        if (lastBreak >= 0)
            return lastBreak + 1;
        if (e == t.Length)
            return e - i;
        return e - i >= 2 ? e - i - 1 : 1;
    }

    /// <summary>Length of (?i:'s|'t|'re|'ve|'m|'ll|'d) at <paramref name="i"/> (an apostrophe), or 0.</summary>
    private static int ContractionLength(ReadOnlySpan<char> t, int i)
    {
        if (i + 1 >= t.Length)
            return 0;
        // ASCII letters only, except ſ: c | 0x20 folds exactly 'X' and 'x' to 'x' and nothing else to a letter.
        int a = t[i + 1] | 0x20;
        if (a is 's' or 'd' or 'm' or 't' || t[i + 1] == '\u017F')
            return 2;
        if (i + 2 >= t.Length)
            return 0;
        int b = t[i + 2] | 0x20;
        return (a == 'l' && b == 'l') || (a is 'v' or 'r' && b == 'e') ? 3 : 0;
    }

    /// <summary>End of up to three \p{N} scalars from <paramref name="i"/>, which is one.</summary>
    private static int NumberEnd(ReadOnlySpan<char> t, int i)
    {
        int at = i;
        for (int n = 0; n < 3 && at < t.Length; n++)
        {
            if (ClassAt(t, at, out int width) != ScalarClass.Number)
                break;
            at += width;
        }
        return at;
    }

    private static int RunEnd(ReadOnlySpan<char> t, int at, int classes)
    {
        while (at < t.Length)
        {
            if (!Is(ClassAt(t, at, out int width), classes))
                break;
            at += width;
        }
        return at;
    }

    private static bool Is(ScalarClass c, int classes) => (classes & (1 << (int)c)) != 0;

    private static ScalarClass ClassAt(ReadOnlySpan<char> t, int i, out int width)
    {
        char c = t[i];
        if (!char.IsSurrogate(c))
        {
            width = 1;
            return Bmp[c];
        }
        if (char.IsHighSurrogate(c) && i + 1 < t.Length && char.IsLowSurrogate(t[i + 1]))
        {
            width = 2;
            return Classify(CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(c, t[i + 1])));
        }
        width = 1;  // a lone surrogate: no scalar value, nothing the regexes name
        return ScalarClass.Other;
    }

    private static ScalarClass[] BuildBmpTable()
    {
        var table = new ScalarClass[char.MaxValue + 1];
        for (int c = 0; c <= char.MaxValue; c++)
        {
            table[c] = c switch
            {
                '\r' or '\n' => ScalarClass.LineBreak,
                // Unicode White_Space: \t..\r, U+0085 and the separators Zs/Zl/Zp.
                >= '\t' and <= '\f' or '\u0085' => ScalarClass.Space,
                _ => Classify(CharUnicodeInfo.GetUnicodeCategory((char)c)),
            };
        }
        return table;
    }

    private static ScalarClass Classify(UnicodeCategory category) => category switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter => ScalarClass.UpperLetter,
        UnicodeCategory.LowercaseLetter => ScalarClass.LowerLetter,
        UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => ScalarClass.OtherLetter,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => ScalarClass.Mark,
        UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => ScalarClass.Number,
        UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => ScalarClass.Space,
        _ => ScalarClass.Other,
    };
}
