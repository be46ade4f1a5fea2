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
    public void Utf16_index_skips_whole_surrogate_pairs()
        => Assert.Equal(3, TextLength.Utf16IndexOf("😀ab", 2));
}
