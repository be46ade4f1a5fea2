using System.Globalization;
using System.Text;

namespace NExtLong.Retrieval;

/// <summary>
/// Turns text into index terms, the same for chunks and queries. Words follow a simplified Unicode word
/// segmentation (UAX #29): runs of letters, marks, digits and connector punctuation, kept together across one
/// apostrophe or full stop between letters ("don't", "e.g") and one full stop or comma between digits ("3.14",
/// "1,000"); every Han or Hiragana character is a word of its own, as Lucene's StandardTokenizer makes it. Terms are
/// case-folded (invariant lower case), words over 255 characters are skipped, and <see cref="Bm25Settings"/> adds
/// English stop words and minimal plural stemming.
/// </summary>
internal sealed class Bm25Analyzer(Bm25Settings settings)
{
    /// <summary>Longest term kept (Lucene's StandardAnalyzer default); a buffer of this many chars holds any term.</summary>
    public const int MaxTermChars = 255;

    // Lucene's EnglishAnalyzer / StandardAnalyzer STOP_WORDS_SET.
    private static readonly HashSet<string> StopWords =
    [
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of", "on",
        "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
    ];

    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> StopLookup = StopWords.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// The next term of <paramref name="text"/> from <paramref name="position"/> on, written into
    /// <paramref name="term"/> (at least <see cref="MaxTermChars"/> + 1 chars); its length, or -1 at the end.
    /// </summary>
    public int Next(ReadOnlySpan<char> text, ref int position, Span<char> term)
    {
        while (position < text.Length)
        {
            int length = NextWord(text, ref position, term);
            if (length <= 0) continue;
            var word = term[..length];
            if (settings.StopWords && StopLookup.Contains(word)) continue;
            return settings.Stemming ? StemPlural(word) : length;
        }
        return -1;
    }

    // One word, case-folded into term; 0 for a skipped (over-long) word, -1 for none left.
    private static int NextWord(ReadOnlySpan<char> text, ref int position, Span<char> term)
    {
        // Skip to the first word character.
        while (position < text.Length)
        {
            Rune.DecodeFromUtf16(text[position..], out var r, out int n);
            if (Kind(r) != WordKind.None) break;
            position += n;
        }
        if (position >= text.Length) return -1;
        int length = 0;
        bool tooLong = false;
        Rune.DecodeFromUtf16(text[position..], out var first, out int firstLength);
        if (Kind(first) == WordKind.Single)
        {
            position += firstLength;
            return Append(first, term, ref length, ref tooLong) ? length : 0;
        }
        WordKind previous = WordKind.None;
        while (position < text.Length)
        {
            Rune.DecodeFromUtf16(text[position..], out var r, out int n);
            var kind = Kind(r);
            if (kind is WordKind.Letter or WordKind.Digit)
            {
                Append(r, term, ref length, ref tooLong);
                position += n;
                previous = kind;
                continue;
            }
            // A joiner stays inside a word only between two letters or two digits.
            if (kind == WordKind.None && previous != WordKind.None && position + n < text.Length && Joins(r, previous))
            {
                Rune.DecodeFromUtf16(text[(position + n)..], out var after, out _);
                if (Kind(after) == previous)
                {
                    Append(r, term, ref length, ref tooLong);
                    position += n;
                    continue;
                }
            }
            break;
        }
        return tooLong ? 0 : length;
    }

    private static bool Append(Rune r, Span<char> term, ref int length, ref bool tooLong)
    {
        var lower = Rune.ToLowerInvariant(r);
        if (length + lower.Utf16SequenceLength > MaxTermChars)
        {
            tooLong = true;
            return false;
        }
        length += lower.EncodeToUtf16(term[length..]);
        return true;
    }

    private static bool Joins(Rune r, WordKind previous) => r.Value switch
    {
        '\'' or '\u2019' => previous == WordKind.Letter,
        '.' => true,
        ',' => previous == WordKind.Digit,
        _ => false,
    };

    private enum WordKind { None, Letter, Digit, Single }

    private static WordKind Kind(Rune r)
    {
        int v = r.Value;
        // Han ideographs and Hiragana: one word per character (UAX #29 leaves them unjoined).
        if (v is >= 0x3040 and <= 0x309F or >= 0x3400 and <= 0x4DBF or >= 0x4E00 and <= 0x9FFF or >= 0xF900 and <= 0xFAFF or >= 0x20000 and <= 0x3FFFF)
            return WordKind.Single;
        return Rune.GetUnicodeCategory(r) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
                or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark
                or UnicodeCategory.EnclosingMark or UnicodeCategory.ConnectorPunctuation => WordKind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => WordKind.Digit,
            _ => WordKind.None,
        };
    }

    // Lucene's EnglishMinimalStemmer: plural "-ies" → "-y", "-es"/"-s" dropped where safe.
    private static int StemPlural(Span<char> s)
    {
        int len = s.Length;
        if (len < 3 || s[len - 1] != 's') return len;
        switch (s[len - 2])
        {
            case 'u':
            case 's':
                return len;
            case 'e':
                if (len > 3 && s[len - 3] == 'i' && s[len - 4] != 'a' && s[len - 4] != 'e')
                {
                    s[len - 3] = 'y';
                    return len - 2;
                }
                if (s[len - 3] is 'i' or 'a' or 'o' or 'e') return len;
                return len - 1;
            default:
                return len - 1;
        }
    }
}
