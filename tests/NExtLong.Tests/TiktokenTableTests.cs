using System.Text;
using Microsoft.ML.Tokenizers;
using NExtLong.Output;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

/// <summary>
/// The tiktoken family encodes over its own rank map (<see cref="TiktokenEncoder"/>), not through the library's
/// TiktokenTokenizer: both must give the same ids, counts and budget cuts on every text, for every tiktoken-family
/// tokenizer. The library's instance (<see cref="TargetTokenizer.Inner"/>, same pre-tokenizer) is the reference.
/// </summary>
public class TiktokenTableTests
{
    public static TheoryData<string> Tokenizers => new("cl100k_base", "o200k_base", "llama3", "tiktoken-file");

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void The_encoder_gives_the_librarys_ids_counts_and_budget_cuts(string spec)
    {
        var tokenizer = TargetTokenizerTests.Get(spec);
        Tokenizer library = tokenizer.Inner;
        var random = new Random(23);
        TiktokenTable table = tokenizer.Tiktoken!;
        var encoder = new TiktokenEncoder(TiktokenRankMap.Build(table.Ranks), table.PreTokenizer);
        foreach (string text in Texts())
        {
            int[] want = [.. library.EncodeToIds(text)];
            Assert.True(want.SequenceEqual(tokenizer.EncodeToIds(text)), $"{spec} ids: {Escape(text)}");
            Assert.True(want.SequenceEqual(tokenizer.EncodeToIds(text.AsSpan())), $"{spec} span ids: {Escape(text)}");
            Assert.Equal(want.Length, tokenizer.CountTokens(text));
            // Budgets below, at and above the count, and every one for short texts: where the library cuts a
            // pre-token whose tokens split characters, the exact cut's first probe starts there.
            var budgets = want.Length <= 40
                ? Enumerable.Range(1, want.Length + 1)
                : [1, 2, want.Length / 2, want.Length - 1, want.Length, want.Length + 1, .. Enumerable.Range(0, 8).Select(_ => 1 + random.Next(want.Length))];
            foreach (int budget in budgets)
            {
                int index = library.GetIndexByTokenCount(text, budget, out _, out int tokens);
                int ours = encoder.IndexByTokenCount(text, budget, out string? normalized, out int ourTokens);
                Assert.True((index, tokens) == (ours, ourTokens), $"{spec} budget {budget}: library ({index}, {tokens}), ours ({ours}, {ourTokens}): {Escape(text)}");
                Assert.Null(normalized);
            }
        }
    }

    /// <summary>
    /// A pre-token that is a token is taken whole only where the library takes it so: when its text is clean UTF-8
    /// without U+FFFD. Tokens no merge reaches tell the two ways apart: "abc" (clean: one token), and the bytes of a
    /// lone surrogate and of U+FFFD (not: their three bytes).
    /// </summary>
    [Fact]
    public void Only_a_clean_token_is_taken_whole_as_the_library_does()
    {
        string dir = TempDir.Create();
        var lines = Enumerable.Range(0, 256).Select(b => $"{Convert.ToBase64String([(byte)b])} {b}").ToList();
        lines.Add($"{Convert.ToBase64String("abc"u8.ToArray())} 256");
        lines.Add($"{Convert.ToBase64String([0xED, 0xA0, 0x80])} 257");
        lines.Add($"{Convert.ToBase64String("\uFFFD"u8.ToArray())} 258");
        string path = Path.Combine(dir, "unreachable.tiktoken");
        File.WriteAllLines(path, lines);
        var tokenizer = TargetTokenizer.Load("tiktoken:" + path);
        foreach (string text in new[] { "abc", "\uD800", "\uFFFD", "\uD800 abc \uFFFD", "abcabc" })
            Assert.Equal(tokenizer.Inner.EncodeToIds(text), tokenizer.EncodeToIds(text));
        Assert.Equal([256], tokenizer.EncodeToIds("abc"));
        Assert.Equal([0xED, 0xA0, 0x80], tokenizer.EncodeToIds("\uD800"));
    }

    [Fact]
    public void A_token_listed_twice_keeps_its_last_rank_and_bare_lines_are_ranked_by_line_and_every_id_has_its_length()
    {
        byte[] file = Encoding.ASCII.GetBytes("YQ== 0\nYg== 1\nYWI= 2\nYQ== 7\n");
        var map = TiktokenRankMap.Build(file, new Dictionary<string, int> { ["<|end|>"] = 9 });
        Assert.Equal(3, map.Count);
        // Every line's rank has its token's length (the first rank of a token listed twice too), and so do special tokens.
        Assert.Equal(new ushort[] { 1, 1, 2, 0, 0, 0, 0, 1, 0, 7 }, map.TokenBytes);
        Assert.Equal(7, map.Rank("a"u8));
        Assert.Equal(2, map.Rank("ab"u8));
        Assert.Equal(-1, map.Rank("ba"u8));
        var bare = TiktokenRankMap.Build(Encoding.ASCII.GetBytes("\nYQ==\nYg==\n\nYWI=\n"));
        Assert.Equal([0, 1, 3], new[] { bare.Rank("a"u8), bare.Rank("b"u8), bare.Rank("ab"u8) });
        Assert.Throws<InvalidDataException>(() => TiktokenRankMap.Build(Encoding.ASCII.GetBytes("YQ== 0\n!!!! 1\n")));
    }

    [Fact]
    public void A_probe_equals_the_librarys_ids_of_its_text()
    {
        var tokenizer = TargetTokenizer.Load("cl100k_base");
        var probe = TokenizerProbe.For(tokenizer);
        Assert.Equal(tokenizer.Inner.EncodeToIds(TokenizerProbe.DefaultText), probe.Ids);
        probe.RequireSameIdsAs(tokenizer);
        Assert.Throws<InvalidOperationException>(() => (probe with { Ids = [.. probe.Ids.Skip(1)] }).RequireSameIdsAs(tokenizer));
        Assert.Equal([45, 6899, 6720, 2289, 9477, 25, 220, 717, 11, 12901, 95980, 588, 53050, 11460, 320, 1341, 2735, 220, 2366, 20, 570], probe.Ids);
    }

    private static IEnumerable<string> Texts()
    {
        string[] fixedTexts =
        [
            TokenizerProbe.DefaultText,
            "aaaaaaaaaaaaaaaa abababababab  \n\n\n   \t x",  // repeated pairs: the leftmost of equal ranks merges first
            "<|endoftext|> is text here, and so is <|begin_of_text|> and <|eot_id|>",
            "1234567 3.14159 ١٢٣ 𝟙𝟚𝟛 don't we'll THEY'RE",
            "naïve café 東京タワー 😀👍🏽 𝔢's Ωmega — «quotes» ⭐⭐⭐ 🧑‍🤝‍🧑",
            "lone \uD800 high, lone \uDC00 low, reversed \uDC00\uD800, pair \uD83D\uDE00, ends \uD83D",
            "\uFFFD replacement \uFFFD\uFFFD and \u0000 nul \u0085 nel \u2028 ls",
            new string(' ', 40) + "indented\r\n" + new string('-', 60),
            // Pre-tokens longer than the library's word cache, and than 128 bytes.
            "Pneumonoultramicroscopicsilicovolcanoconiosis " + new string('x', 300) + " " + string.Concat(Enumerable.Repeat("ab", 150))
                + " " + string.Concat(Enumerable.Repeat("ünïcødé", 40)) + new string(' ', 500) + "end",
            string.Concat(Enumerable.Repeat("😀", 80)) + string.Concat(Enumerable.Repeat("東", 90)),
        ];
        foreach (string text in fixedTexts)
            yield return text;
        foreach (string text in UnicodeTestTexts.Random(40_000, seed: 17))
            yield return text;
        foreach ((_, string text) in UnicodeTestTexts.ByCategory(stride: 97))
            yield return text;
        foreach (string text in SampleCorpus.Documents.Take(40))
            yield return text;
    }

    private static string Escape(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
