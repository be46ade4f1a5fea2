using System.Globalization;
using System.Text;

namespace NExtLong.Tests;

/// <summary>
/// Texts that put every kind of Unicode scalar value through the tiktoken pre-tokenizer regexes: one family per
/// general category (every code point of it, in the contexts the regex alternatives look at), and a seeded
/// random mix of scripts, emoji, supplementary CJK, math alphanumerics, combining marks and whitespace runs.
/// </summary>
internal static class UnicodeTestTexts
{
    /// <summary>Code points per category text, so a difference names a small range.</summary>
    private const int CodePointsPerText = 512;

    private static readonly string[] Contractions = ["'s", "'S", "'t", "'re", "'VE", "'m", "'ll", "'LL", "'d", "'ſ", "'", "'x", "’s", "'Re"];
    private static readonly string[] Spaces = [" ", " ", " ", "\t", "\n", "\n", "\r\n", "\u00A0", "\u3000", "\u2028", "\u0085", "\u000B", "\u000C", "\u2009", "\u202F"];
    private static readonly string Punctuation = "!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~—…«»¿¡§¶†‡•※/";

    /// <summary>Ranges the random text draws letters, marks and numbers from (first, last code point).</summary>
    private static readonly (int First, int Last)[] Scripts =
    [
        ('a', 'z'), ('A', 'Z'), (0x00C0, 0x024F), (0x0370, 0x03FF), (0x0400, 0x04FF), (0x0590, 0x05FF), (0x0600, 0x06FF),
        (0x0900, 0x097F), (0x0E00, 0x0E7F), (0x1F00, 0x1FFF), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
        (0x02B0, 0x02FF), (0x01C4, 0x01CC), (0xFF21, 0xFF5A),
        (0x1D400, 0x1D7FF), (0x20000, 0x2A6DF), (0x10400, 0x1044F), (0x1E900, 0x1E95F), (0x11000, 0x1107F),
    ];

    private static readonly (int First, int Last)[] Marks = [(0x0300, 0x036F), (0x1AB0, 0x1ACE), (0x20D0, 0x20F0), (0x1D165, 0x1D169), (0x11000, 0x11002), (0xE0100, 0xE01EF)];

    private static readonly (int First, int Last)[] Numbers =
    [
        ('0', '9'), ('0', '9'), (0x0660, 0x0669), (0xFF10, 0xFF19), (0x1D7CE, 0x1D7FF), (0x00B2, 0x00B3), (0x2160, 0x2188),
        (0x10107, 0x10133), (0x1F100, 0x1F10C), (0x2460, 0x249B),
    ];

    private static readonly (int First, int Last)[] Emoji = [(0x1F300, 0x1F64F), (0x1F680, 0x1F6FF), (0x1F900, 0x1FAFF), (0x2600, 0x27BF)];

    /// <summary>
    /// For each general category (as .NET's tables give it), texts covering its code points, each code point in
    /// <see cref="Contexts"/>. All of them, except: private use every 16th; unassigned every 4th in planes 0-3 and
    /// 14 and every 257th elsewhere; no surrogates (they are no scalar values).
    /// </summary>
    public static List<(string Label, string Text)> ByCategory(int stride = 1)
    {
        var byCategory = new Dictionary<UnicodeCategory, List<int>>();
        for (int cp = 0; cp <= 0x10FFFF; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF)
                continue;
            var category = CharUnicodeInfo.GetUnicodeCategory(cp);
            int plane = cp >> 16;
            bool take = category switch
            {
                UnicodeCategory.PrivateUse => cp % 16 == 0,
                UnicodeCategory.OtherNotAssigned => plane is <= 3 or 14 ? cp % 4 == 0 : cp % 257 == 0,
                _ => true,
            };
            if (take && cp % stride == 0)
                (byCategory.TryGetValue(category, out var list) ? list : byCategory[category] = []).Add(cp);
        }
        var texts = new List<(string, string)>();
        foreach ((UnicodeCategory category, List<int> codePoints) in byCategory.OrderBy(p => p.Key))
        {
            for (int i = 0; i < codePoints.Count; i += CodePointsPerText)
            {
                var text = new StringBuilder();
                int end = Math.Min(codePoints.Count, i + CodePointsPerText);
                for (int j = i; j < end; j++)
                    text.Append(Contexts(char.ConvertFromUtf32(codePoints[j])));
                texts.Add(($"{category} U+{codePoints[i]:X4}..U+{codePoints[end - 1]:X4}", text.ToString()));
            }
        }
        return texts;
    }

    /// <summary>
    /// <paramref name="x"/> after a space, a line break and an apostrophe, before a contraction, between letters
    /// and digits, and doubled: the neighbours the regex alternatives branch on.
    /// </summary>
    public static string Contexts(string x) =>
        " " + x + "'s" + x + "a" + x + "A1" + x + "2\n" + x + "'" + x + x + ".\n" + x + "'ll \n " + x;

    /// <summary>Random texts of 1 to 1,000 chars, about <paramref name="totalChars"/> in all, from <paramref name="seed"/>.</summary>
    public static List<string> Random(int totalChars, int seed)
    {
        var random = new Random(seed);
        var texts = new List<string>();
        var text = new StringBuilder();
        int total = 0;
        while (total < totalChars)
        {
            int length = 1 + random.Next(1000);
            text.Clear();
            while (text.Length < length)
                AppendPiece(text, random);
            string piece = SampleCorpus.CutAtScalar(text.ToString(), length);
            texts.Add(piece);
            total += piece.Length;
        }
        return texts;
    }

    private static void AppendPiece(StringBuilder text, Random random)
    {
        switch (random.Next(12))
        {
            case 0:
            case 1:
                string doc = SampleCorpus.Documents[random.Next(SampleCorpus.Documents.Count)];
                int start = random.Next(doc.Length);
                text.Append(SampleCorpus.CutAtScalar(doc[start..], 2 + random.Next(60)));
                break;
            case 2:
            case 3:
                var script = Scripts[random.Next(Scripts.Length)];
                for (int n = 1 + random.Next(8); n > 0; n--)
                    AppendFrom(text, script, random);
                break;
            case 4:
                AppendFrom(text, Scripts[random.Next(Scripts.Length)], random);
                for (int n = 1 + random.Next(3); n > 0; n--)
                    AppendFrom(text, Marks[random.Next(Marks.Length)], random);
                break;
            case 5:
                for (int n = 1 + random.Next(4); n > 0; n--)
                    text.Append(Spaces[random.Next(Spaces.Length)]);
                break;
            case 6:
                var numbers = Numbers[random.Next(Numbers.Length)];
                for (int n = 1 + random.Next(7); n > 0; n--)
                    AppendFrom(text, numbers, random);
                break;
            case 7:
                text.Append(Contractions[random.Next(Contractions.Length)]);
                break;
            case 8:
                for (int n = 1 + random.Next(4); n > 0; n--)
                    text.Append(Punctuation[random.Next(Punctuation.Length)]);
                break;
            case 9:
                AppendFrom(text, Emoji[random.Next(Emoji.Length)], random);
                if (random.Next(3) == 0)
                    text.Append(random.Next(2) == 0 ? "\U0001F3FD" : "\uFE0F");
                if (random.Next(3) == 0)
                {
                    text.Append('\u200D');
                    AppendFrom(text, Emoji[random.Next(Emoji.Length)], random);
                }
                break;
            case 10:
                text.Append(random.Next(4) switch { 0 => "\r\n/", 1 => "//", 2 => " /", _ => "\n\n" });
                break;
            default:
                text.Append(' ');
                break;
        }
    }

    private static void AppendFrom(StringBuilder text, (int First, int Last) range, Random random) =>
        text.Append(char.ConvertFromUtf32(random.Next(range.First, range.Last + 1)));
}
