using System.Globalization;
using System.Text;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

/// <summary>
/// cl100k_base, o200k_base and llama3 ids equal OpenAI's tiktoken on all of Unicode (supplementary planes
/// included), and llama3's equal the JavaScript Llama 3 tokenizer's except where JavaScript's regex tables differ.
/// </summary>
[Trait("Tier", "slow")]
public class TiktokenUnicodeTests
{
    public static TheoryData<string> Encodings => new("cl100k_base", "o200k_base", "llama3");

    /// <summary>Supplementary-plane letters and digits, which UTF-16 regexes see as surrogates (tiktoken's ids).</summary>
    [Theory]
    [InlineData("cl100k_base", "𝔢's", new[] { 57352, 242, 95, 596 })]
    [InlineData("cl100k_base", "word 𝟙 word", new[] { 1178, 220, 57352, 253, 247, 3492 })]
    [InlineData("cl100k_base", "𠝹's name", new[] { 172, 254, 251, 117, 596, 836 })]
    [InlineData("cl100k_base", "'ſx", new[] { 6, 129, 123, 87 })]
    [InlineData("o200k_base", "𝔢's", new[] { 43120, 242, 95, 885 })]
    [InlineData("o200k_base", "word 𝟙 word", new[] { 1801, 220, 43120, 253, 247, 2195 })]
    [InlineData("o200k_base", "𠝹's name", new[] { 172, 254, 251, 117, 885, 1308 })]
    [InlineData("o200k_base", "'ſx", new[] { 6, 70067, 87 })]
    public void Known_tiktoken_ids(string encoding, string text, int[] ids)
    {
        var tokenizer = TargetTokenizerTests.Get(encoding);
        Assert.Equal(ids, tokenizer.EncodeToIds(text));
        Assert.Equal(ids.Length, tokenizer.CountTokens(text));
        Assert.Equal(ids.Length, tokenizer.Inner.CountTokens(text.AsSpan()));
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Every_general_category_encodes_as_tiktoken_does(string encoding)
    {
        var tokenizer = TargetTokenizerTests.Get(encoding);
        var texts = UnicodeTestTexts.ByCategory();
        AssertSameIds(tokenizer, texts, TokenizerReference.Tiktoken(encoding, [.. texts.Select(t => t.Text)]), "tiktoken");
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void A_megabyte_of_random_mixed_text_encodes_as_tiktoken_does(string encoding)
    {
        var tokenizer = TargetTokenizerTests.Get(encoding);
        var texts = UnicodeTestTexts.Random(1_000_000, seed: 12);
        AssertSameIds(tokenizer, [.. texts.Select((t, i) => ($"random text {i}", t))], TokenizerReference.Tiktoken(encoding, texts), "tiktoken");
    }

    /// <summary>
    /// The JavaScript tokenizer uses JavaScript's regexes, whose \s lacks U+0085 and has U+FEFF, and whose Unicode
    /// tables (Node's ICU) may be newer than .NET's and tiktoken's; those code points are replaced first.
    /// </summary>
    [Fact]
    public void Llama3_encodes_as_the_javascript_tokenizer_does_outside_its_regex_differences()
    {
        var tokenizer = TargetTokenizerTests.Get("llama3");
        List<(string Label, string Text)> texts =
        [
            .. UnicodeTestTexts.ByCategory(stride: 7).Where(t => !t.Label.StartsWith(nameof(UnicodeCategory.OtherNotAssigned), StringComparison.Ordinal)),
            .. UnicodeTestTexts.Random(200_000, seed: 13).Select((t, i) => ($"random text {i}", t)),
        ];
        texts = [.. texts.Select(t => (t.Label, WithoutJavaScriptDifferences(t.Text)))];
        AssertSameIds(tokenizer, texts, TokenizerReference.Llama3JavaScript([.. texts.Select(t => t.Text)]), "the JavaScript tokenizer");
    }

    private static string WithoutJavaScriptDifferences(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (Rune r in text.EnumerateRunes())
        {
            bool differs = r.Value is 0x85 or 0xFEFF || Rune.GetUnicodeCategory(r) == UnicodeCategory.OtherNotAssigned;
            result.Append(differs ? "?" : r.ToString());
        }
        return result.ToString();
    }

    private static void AssertSameIds(TargetTokenizer tokenizer, IReadOnlyList<(string Label, string Text)> texts, int[][] expected, string reference)
    {
        Assert.Equal(texts.Count, expected.Length);
        var failures = new List<string>();
        for (int i = 0; i < texts.Count && failures.Count < 10; i++)
        {
            int[] actual = [.. tokenizer.EncodeToIds(texts[i].Text)];
            if (actual.AsSpan().SequenceEqual(expected[i]))
                continue;
            int at = actual.AsSpan().CommonPrefixLength(expected[i]);
            string Around(int[] ids) => Escape(tokenizer.Inner.Decode(ids.Skip(Math.Max(0, at - 3)).Take(8)));
            failures.Add($"{texts[i].Label}: token {at} differs; {reference} …{Around(expected[i])}… ours …{Around(actual)}…");
        }
        Assert.True(failures.Count == 0, $"{tokenizer.Name} differs from {reference}:\n" + string.Join("\n", failures));
    }

    private static string Escape(string text) =>
        string.Concat(text.EnumerateRunes().Select(r => r.Value is >= 0x20 and < 0x7F ? r.ToString() : $"\\u{{{r.Value:X}}}"));
}
