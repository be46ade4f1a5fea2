using NExtLong.Chunking;

namespace NExtLong.Tests;

public class ShinglesTests
{
    private static string Normalized(string text)
    {
        var buffer = new char[text.Length + 1];
        var ends = new int[text.Length + 1];
        int length = Shingles.Normalize(UnicodeNormalizer.Nfd.Normalize(text), buffer, ends, out _);
        return new string(buffer, 0, length);
    }

    [Theory]
    [InlineData("Hello,   World!", "hello world")]
    [InlineData("  The year 1984, pi = 3.14 and 1,000,000 ants.\n", "the year 0 pi 0 and 0 ants")]
    [InlineData("Café NAÏVE façade", "cafe naive facade")]
    [InlineData("don't\tstop-me_now", "don t stop me now")]
    [InlineData("abc123def x2", "abc0def x0")]
    [InlineData("ΣΊΣΥΦΟΣ Straße", "σισυφοσ straße")]
    [InlineData("日本語 テキスト", "日本語 テキスト")]
    [InlineData("?!...", "")]
    public void Text_is_normalised_as_datatrove_simplifies_it(string text, string expected)
        => Assert.Equal(expected, Normalized(text));

    [Fact]
    public void Respacing_recasing_punctuation_accents_and_numbers_do_not_change_the_shingles()
    {
        string a = "The quick brown fox jumps over the lazy dog near 12 old barns in Zürich, then rests.";
        string b = "the   QUICK brown fox -- jumps over the lazy dog\n\nnear 7 old barns in Zurich then rests!!";
        Assert.Equal(Shingles.Of(a), Shingles.Of(b));
        Assert.Equal(17 - Shingles.WordsPerShingle + 1, Shingles.Of(a).Length);
    }

    [Fact]
    public void Shingles_are_sorted_distinct_and_short_texts_get_one()
    {
        var repeated = Shingles.Of(string.Join(' ', Enumerable.Repeat("one two three", 20)));
        Assert.Equal(3, repeated.Length);
        Assert.True(repeated.AsSpan().SequenceCompareTo(repeated.Order().ToArray()) == 0);
        Assert.Single(Shingles.Of("just three words"));
        Assert.NotEqual(Shingles.Of("just three words"), Shingles.Of("just three word"));
        Assert.Empty(Shingles.Of(" ... "));
    }

    [Fact]
    public void One_changed_word_changes_at_most_five_shingles()
    {
        var words = Enumerable.Range(0, 100).Select(i => $"w{(char)('a' + i % 26)}{(char)('a' + i / 26)}").ToArray();
        var before = Shingles.Of(string.Join(' ', words));
        words[50] = "changed";
        var after = Shingles.Of(string.Join(' ', words));
        Assert.Equal(96, before.Length);
        Assert.Equal(91, before.Intersect(after).Count());
        Assert.Equal(91.0 / 96, Shingles.Containment(after, before), 9);
        Assert.Equal(91.0 / 101, Shingles.Jaccard(after, before), 9);
    }

    [Fact]
    public void Early_stopping_containment_agrees_with_the_exact_share_on_every_threshold()
    {
        var random = new Random(7);
        for (int trial = 0; trial < 200; trial++)
        {
            var a = Enumerable.Range(0, random.Next(1, 40)).Select(_ => (ulong)random.Next(60)).Distinct().Order().ToArray();
            var b = Enumerable.Range(0, random.Next(0, 40)).Select(_ => (ulong)random.Next(60)).Distinct().Order().ToArray();
            double exact = (double)a.Count(b.Contains) / a.Length;
            foreach (double t in new[] { 0.1, 0.3, 0.5, 0.7, 0.9, 1.0 })
                {
                Assert.Equal(exact, Shingles.Containment(a, b), 12);
                Assert.Equal(exact >= t, Shingles.ContainmentAtLeast(a, b, t));
            }
        }
    }

    [Fact]
    public void Early_stopping_jaccard_agrees_with_the_exact_similarity_on_every_threshold()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 400; trial++)
        {
            // Overlaps from none to all, and sizes from empty to unequal, so both early answers and the rounding at
            // the threshold (e.g. 1/3 against 0.3333…) are exercised.
            int range = random.Next(1, 80);
            var a = Enumerable.Range(0, random.Next(0, 50)).Select(_ => (ulong)random.Next(range)).Distinct().Order().ToArray();
            var b = Enumerable.Range(0, random.Next(0, 50)).Select(_ => (ulong)random.Next(range)).Distinct().Order().ToArray();
            double exact = Shingles.Jaccard(a, b);
            foreach (double t in new[] { 0.0, 0.1, 1.0 / 3, 0.5, 0.7, 0.9, 1.0, exact, Math.BitIncrement(exact), Math.BitDecrement(exact) })
                Assert.Equal(exact >= t, Shingles.JaccardAtLeast(a, b, t));
        }
    }
}
