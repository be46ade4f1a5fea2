using System.Text;
using NExtLong.Chunking;

namespace NExtLong.Tests;

public class ParagraphChunkerTests
{
    private static string[] Texts(ParagraphChunker chunker, string doc)
    {
        string prepared = chunker.Prepare(doc);
        return chunker.Chunk(prepared).Select(c => c.Of(prepared).ToString()).ToArray();
    }

    // Expected values worked out by running the authors' chunking.py group_segments by hand (see original-code notes).
    [Theory]
    [InlineData("", 10, new[] { "" })]
    [InlineData("\n\nAAAAAAAAAAAAAAA\nbb", 10, new[] { "AAAAAAAAAAAAAAA", "bb" })]
    [InlineData("AAAAAAAAAAAAAAA\n", 10, new[] { "AAAAAAAAAAAAAAA", "" })]
    [InlineData("aaaa\nbbb\ncc\n", 10, new[] { "aaaa\nbbb\ncc\n" })]
    [InlineData("aaaaa\nbbbbb\ncc", 10, new[] { "aaaaa\nbbbbb", "cc" })]
    public void Python_compat_mode_reproduces_chunking_py(string doc, int s, string[] expected)
        => Assert.Equal(expected, Texts(new ParagraphChunker(s, ChunkingMode.PythonCompat), doc));

    [Fact]
    public void Python_compat_does_not_count_separators()
    {
        var chunks = Texts(new ParagraphChunker(10, ChunkingMode.PythonCompat), string.Concat(Enumerable.Repeat("a\n", 20)));
        Assert.Equal(new[] { 19, 20 }, chunks.Select(c => c.Length));
    }

    [Fact]
    public void Clean_mode_counts_separators_and_drops_blank_chunks()
    {
        var chunker = new ParagraphChunker(10);
        Assert.Empty(Texts(chunker, ""));
        Assert.Empty(Texts(chunker, "\n \n\t\n"));
        Assert.Equal(new[] { "aaaa\nbbbb", "cc" }, Texts(chunker, "aaaa\nbbbb\ncc\n"));
        // The rest of a split paragraph packs with the next paragraph like any other piece.
        Assert.Equal(new[] { "AAAAAAAAAA", "AAAAA\nbb" }, Texts(chunker, "\n\nAAAAAAAAAAAAAAA\nbb"));
    }

    [Fact]
    public void Clean_mode_normalises_crlf()
        => Assert.Equal(new[] { "ab\ncd" }, Texts(new ParagraphChunker(10), "ab\r\ncd\r\n"));

    [Fact]
    public void Long_paragraph_splits_at_sentence_end_then_whitespace_then_hard()
    {
        var chunker = new ParagraphChunker(20);
        Assert.Equal(new[] { "One two three.", "Four five six seven.", "Eight." }, Texts(chunker, "One two three. Four five six seven. Eight."));
        Assert.Equal(new[] { "aaaa bbbb cccc dddd", "eeee" }, Texts(chunker, "aaaa bbbb cccc dddd eeee"));
        Assert.Equal(new[] { new string('x', 20), new string('x', 5) }, Texts(chunker, new string('x', 25)));
    }

    [Fact]
    public void Counts_scalar_values_not_utf16_units()
    {
        // 10 emoji are 10 characters for Python's len() but 20 UTF-16 units: one chunk at s = 10.
        string emoji = string.Concat(Enumerable.Repeat("😀", 10));
        Assert.Equal(new[] { emoji }, Texts(new ParagraphChunker(10), emoji));
        var split = Texts(new ParagraphChunker(4), emoji);
        Assert.Equal(new[] { 4, 4, 2 }, split.Select(c => TextLength.Of(c)));
        Assert.All(split, c => Assert.False(char.IsLowSurrogate(c[0])));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_documents_keep_every_paragraph_in_order_and_no_chunk_exceeds_s(int seed)
    {
        var rng = new Random(seed);
        string[] words = ["alpha", "beta", "gamma", "delta.", "épsilon", "日本語", "😀", "zeta?", "eta!", "theta"];
        for (int round = 0; round < 200; round++)
        {
            var doc = new StringBuilder();
            int paragraphs = rng.Next(0, 30);
            for (int p = 0; p < paragraphs; p++)
            {
                int n = rng.Next(0, 80);
                for (int w = 0; w < n; w++)
                {
                    if (w > 0) doc.Append(rng.Next(10) == 0 ? "  " : " ");
                    doc.Append(words[rng.Next(words.Length)]);
                }
                doc.Append(rng.Next(4) switch { 0 => "\r\n", 1 => "\n\n", _ => "\n" });
            }
            int s = rng.Next(1, 300);
            var chunker = new ParagraphChunker(s);
            string prepared = chunker.Prepare(doc.ToString());
            var chunks = chunker.Chunk(prepared);
            int last = 0;
            foreach (var c in chunks)
            {
                var text = c.Of(prepared);
                Assert.True(TextLength.Of(text) <= s, $"chunk of {TextLength.Of(text)} chars exceeds s={s}");
                Assert.False(text.IsWhiteSpace());
                Assert.True(c.Start >= last, "chunks overlap or go backwards");
                // Nothing but whitespace is lost between chunks.
                Assert.True(prepared.AsSpan(last, c.Start - last).IsWhiteSpace(), "non-whitespace text fell between chunks");
                last = c.End;
            }
            Assert.True(prepared.AsSpan(last).IsWhiteSpace());
            // Whole paragraphs that fit are never split.
            foreach (var paragraph in prepared.Split('\n').Where(p => !string.IsNullOrWhiteSpace(p) && TextLength.Of(p) <= s))
                Assert.Contains(chunks, c => c.Of(prepared).ToString().Contains(paragraph));
        }
    }

    [Fact]
    public void Python_compat_random_documents_match_a_direct_port()
    {
        var rng = new Random(7);
        for (int round = 0; round < 300; round++)
        {
            var doc = new StringBuilder();
            int lines = rng.Next(0, 20);
            for (int i = 0; i < lines; i++)
            {
                doc.Append('x', rng.Next(0, 30));
                if (i + 1 < lines || rng.Next(2) == 0) doc.Append('\n');
            }
            int s = rng.Next(1, 40);
            Assert.Equal(GroupSegments(doc.ToString(), s), Texts(new ParagraphChunker(s, ChunkingMode.PythonCompat), doc.ToString()));
        }
    }

    // The authors' function transcribed statement by statement, as the oracle.
    private static string[] GroupSegments(string text, int maxLength)
    {
        var segments = text.Split('\n');
        var groups = new List<string>();
        var current = new List<string>();
        int currentLength = 0;
        foreach (var segment in segments)
        {
            if (currentLength + segment.Length > maxLength)
            {
                if (currentLength != 0) groups.Add(string.Join('\n', current));
                current = [segment];
                currentLength = segment.Length;
            }
            else
            {
                current.Add(segment);
                currentLength += segment.Length;
            }
        }
        if (current.Count > 0) groups.Add(string.Join('\n', current));
        return [.. groups];
    }
}
