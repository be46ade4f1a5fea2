using System.Text;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

/// <summary>
/// A piece appended as UTF-8 (an index chunk read in place, decoded straight into the text) is the same piece as its
/// decoded string appended: the same text, character counts, spans, cut and ids, invalid bytes included.
/// </summary>
public sealed class SpannedTextTests
{
    private static readonly byte[][] Pieces =
    [
        "Plain ASCII prose, with a comma."u8.ToArray(),
        Encoding.UTF8.GetBytes("Größe, naïve café — «guillemets» and 東京 and 🎉 emoji (a surrogate pair)."),
        [0x61, 0xff, 0x62, 0xe2, 0x82, 0x20, 0x63, 0xf0, 0x9f, 0x98], // invalid and truncated sequences: U+FFFD in both
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("A longer paragraph that repeats itself. ", 400))),
        Encoding.UTF8.GetBytes("\n\nStarts with the separator's characters and ends with a space "),
    ];

    [Fact]
    public void A_piece_appended_as_utf8_is_the_piece_appended_as_its_string()
    {
        var tokenizer = TargetTokenizer.Load("cl100k_base");
        using var fromStrings = new SpannedText("\n\n");
        using var fromUtf8 = new SpannedText("\n\n");
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < Pieces.Length; i++)
            {
                var span = new DocumentSpan { Role = SpanRole.Negative, MetaChunk = round, ChunkId = i, DocumentId = $"d{i}", Source = "s" };
                fromStrings.Append(Encoding.UTF8.GetString(Pieces[i]), span);
                fromUtf8.AppendUtf8(Pieces[i], span);
                Assert.Equal(fromStrings.Chars, fromUtf8.Chars);
            }
        }
        foreach (int target in new[] { 1, 7, 500, 3000 })
        {
            var expected = fromStrings.CutToTokens(tokenizer, target);
            var actual = fromUtf8.CutToTokens(tokenizer, target);
            Assert.NotNull(expected);
            Assert.NotNull(actual);
            Assert.Equal(expected.Value.Text, actual.Value.Text);
            Assert.Equal(expected.Value.TokenIds, actual.Value.TokenIds);
            Assert.Equal(expected.Value.Spans, actual.Value.Spans);
        }
    }
}
