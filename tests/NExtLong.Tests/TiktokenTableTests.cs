using NExtLong.Output;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

/// <summary>
/// The byte-pair merge straight from a rank file (<see cref="TiktokenTable.EncodeFromRanks"/>), which a run's
/// tokenizer probe uses so as not to wait for an instance, gives the ids an instance gives, for every tiktoken-family
/// tokenizer.
/// </summary>
public class TiktokenTableTests
{
    public static TheoryData<string> Tokenizers => new("cl100k_base", "o200k_base", "llama3", "tiktoken-file");

    [Theory]
    [MemberData(nameof(Tokenizers))]
    public void Merging_from_the_rank_lines_gives_an_instances_ids(string spec)
    {
        var tokenizer = TargetTokenizerTests.Get(spec);
        string[] texts =
        [
            TokenizerProbe.DefaultText,
            "aaaaaaaaaaaaaaaa abababababab  \n\n\n   \t x",  // repeated pairs: the leftmost of equal ranks merges first
            "<|endoftext|> is text here, and so is <|begin_of_text|>",
            "1234567 3.14159 ١٢٣ 𝟙𝟚𝟛 don't we'll THEY'RE",
            "naïve café 東京タワー 😀👍🏽 𝔢's Ωmega — «quotes»",
            new string(' ', 40) + "indented\r\n" + new string('-', 60),
            .. UnicodeTestTexts.Random(6_000, seed: 17).Where(t => t.Length <= 400),
        ];
        foreach (string text in texts)
            Assert.True(tokenizer.EncodeToIds(text).SequenceEqual(tokenizer.EncodeShortToIds(text)), $"{spec}: {text}");
    }

    [Fact]
    public void A_probe_is_taken_before_the_instance_exists_and_equals_its_ids()
    {
        // A fresh load: its instance is still being made in the background when the probe is taken.
        var tokenizer = TargetTokenizer.Load("cl100k_base");
        var probe = TokenizerProbe.For(tokenizer);
        Assert.Equal(tokenizer.EncodeToIds(TokenizerProbe.DefaultText), probe.Ids);
        probe.RequireSameIdsAs(tokenizer);
        Assert.Throws<InvalidOperationException>(() => (probe with { Ids = [.. probe.Ids.Skip(1)] }).RequireSameIdsAs(tokenizer));
        Assert.Equal([45, 6899, 6720, 2289, 9477, 25, 220, 717, 11, 12901, 95980, 588, 53050, 11460, 320, 1341, 2735, 220, 2366, 20, 570], probe.Ids);
    }
}
