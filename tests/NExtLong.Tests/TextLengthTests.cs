namespace NExtLong.Tests;

public class TextLengthTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("abc", 3)]
    [InlineData("a😀b", 3)]
    public void Counts_scalar_values_like_python_len(string text, int expected)
        => Assert.Equal(expected, TextLength.Of(text));

    [Fact]
    public void Counts_one_per_scalar_value_and_one_per_lone_surrogate_in_any_text()
    {
        string[] texts =
        [
            "\ud800", "\udc00", "a\ud800", "\ud800\ud800\udc00", "\udc00\ud800", "😀\ud83d", "😀😀x😀", "\ud83d😀\ude00",
            .. UnicodeTestTexts.Random(100_000, seed: 23),
            .. UnicodeTestTexts.ByCategory(stride: 7).Select(t => t.Text),
        ];
        // EnumerateRunes gives one rune per scalar value and one (U+FFFD) per lone surrogate: Python's len.
        foreach (string text in texts)
            Assert.Equal(text.EnumerateRunes().Count(), TextLength.Of(text));
    }

    [Fact]
    public void Utf16_index_skips_whole_surrogate_pairs()
        => Assert.Equal(3, TextLength.Utf16IndexOf("😀ab", 2));
}
