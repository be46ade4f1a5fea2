namespace NExtLong.Chunking;

/// <summary>
/// Document chunking of the paper (section 3.1.1, Algorithm 1 lines 2–20): split a document into paragraphs at
/// newlines and pack whole paragraphs greedily into chunks of at most s characters. Characters are Unicode scalar
/// values, as Python's len() counts them. Used both for meta-documents (giving meta-chunks) and for every corpus
/// document that goes into the index (giving the retrievable chunks).
/// </summary>
public sealed class ParagraphChunker
{
    /// <summary>The default chunking granularity s: 2048 characters, the best of the paper's ablation (§5.5, Figure 7).</summary>
    public const int DefaultMaxChars = 2048;

    /// <summary>
    /// The range of s the stages accept: below 64 characters a chunk is a few words, too little for an embedding to
    /// tell topics apart; above 1M one chunk would be a whole book and the index a list of documents.
    /// The chunker itself takes any s ≥ 1.
    /// </summary>
    public const int MinChunkChars = 64;

    /// <summary>The largest s the stages accept: 1,048,576 characters (see <see cref="MinChunkChars"/>).</summary>
    public const int MaxChunkChars = 1 << 20;

    /// <summary>A chunker packing paragraphs into chunks of at most <paramref name="maxChars"/> characters.</summary>
    /// <param name="maxChars">The chunking granularity s, in Unicode scalar values; default 2048.</param>
    /// <param name="mode">Clean (the default) or the authors' exact python-compatible packing.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxChars"/> is below 1.</exception>
    public ParagraphChunker(int maxChars = DefaultMaxChars, ChunkingMode mode = ChunkingMode.Clean)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 1);
        MaxChars = maxChars;
        Mode = mode;
    }

    /// <summary>The chunking granularity s, in characters.</summary>
    public int MaxChars { get; }

    /// <summary>Whether chunks follow the clean packing or reproduce the authors' chunking.py.</summary>
    public ChunkingMode Mode { get; }

    /// <summary>CRLF and lone CR become LF, so that chunk boundaries and lengths do not depend on the source's line endings.</summary>
    public static string NormalizeNewlines(string text)
    {
        if (!text.Contains('\r')) return text;
        return text.Replace("\r\n", "\n").Replace('\r', '\n');
    }

    /// <summary>
    /// The document text that chunk spans refer to: newline-normalised in clean mode, untouched in python-compat
    /// mode (where chunking.py keeps a CR inside its segments).
    /// </summary>
    public string Prepare(string document) => Mode == ChunkingMode.Clean ? NormalizeNewlines(document) : document;

    /// <summary>Chunks <paramref name="document"/>, which must come from <see cref="Prepare"/>, into <paramref name="chunks"/> (cleared first).</summary>
    public void Chunk(string document, List<ChunkSpan> chunks)
    {
        chunks.Clear();
        if (Mode == ChunkingMode.PythonCompat) ChunkLikePython(document, chunks);
        else ChunkClean(document, chunks);
    }

    /// <summary>Chunks <paramref name="document"/>, which must come from <see cref="Prepare"/>, into a new list in document order.</summary>
    public List<ChunkSpan> Chunk(string document)
    {
        var chunks = new List<ChunkSpan>();
        Chunk(document, chunks);
        return chunks;
    }

    // A unit is a piece that is never split further: a non-blank paragraph of at most s characters, or one piece of
    // a longer paragraph. A chunk spans from its first unit's start to its last unit's end, keeping the newlines
    // (and blank lines) between them, so its length is exactly what a reader of the chunk text sees.
    private void ChunkClean(string doc, List<ChunkSpan> chunks)
    {
        int chunkStart = -1, chunkEnd = 0, chunkChars = 0;
        int pos = 0;
        while (pos <= doc.Length)
        {
            int nl = doc.IndexOf('\n', pos);
            int end = nl < 0 ? doc.Length : nl;
            var paragraph = doc.AsSpan(pos, end - pos);
            if (!paragraph.IsWhiteSpace())
            {
                int chars = TextLength.Of(paragraph);
                if (chars <= MaxChars) AddUnit(pos, end, chars);
                else SplitLongParagraph(doc, pos, end);
            }
            if (nl < 0) break;
            pos = nl + 1;
        }
        if (chunkStart >= 0) chunks.Add(new ChunkSpan(chunkStart, chunkEnd - chunkStart));

        void AddUnit(int start, int end, int chars)
        {
            if (chunkStart >= 0)
            {
                int joined = chunkChars + TextLength.Of(doc.AsSpan(chunkEnd, start - chunkEnd)) + chars;
                if (joined <= MaxChars)
                {
                    chunkEnd = end;
                    chunkChars = joined;
                    return;
                }
                chunks.Add(new ChunkSpan(chunkStart, chunkEnd - chunkStart));
            }
            chunkStart = start;
            chunkEnd = end;
            chunkChars = chars;
        }

        // Sentence ends first, then the last whitespace that leaves at least half a chunk, then a hard cut; pieces
        // never start or end with whitespace, and a surrogate pair is never cut.
        void SplitLongParagraph(string text, int start, int end)
        {
            while (start < end)
            {
                while (start < end && char.IsWhiteSpace(text[start])) start++;
                if (start >= end) return;
                int limit = start + TextLength.Utf16IndexOf(text.AsSpan(start, end - start), MaxChars);
                if (limit >= end)
                {
                    int trimmedEnd = end;
                    while (char.IsWhiteSpace(text[trimmedEnd - 1])) trimmedEnd--;
                    AddUnit(start, trimmedEnd, TextLength.Of(text.AsSpan(start, trimmedEnd - start)));
                    return;
                }
                int cut = LastSentenceEnd(text, start, limit);
                if (cut < 0) cut = LastWhitespace(text, start + (limit - start) / 2, limit);
                if (cut < 0)
                {
                    cut = limit;
                    if (char.IsLowSurrogate(text[cut]) && cut > start && char.IsHighSurrogate(text[cut - 1])) cut--;
                }
                int pieceEnd = cut;
                while (pieceEnd > start && char.IsWhiteSpace(text[pieceEnd - 1])) pieceEnd--;
                AddUnit(start, pieceEnd, TextLength.Of(text.AsSpan(start, pieceEnd - start)));
                start = cut;
            }
        }
    }

    // Position of the whitespace after the last sentence terminator (optionally followed by closing quotes or
    // brackets) such that the sentence ends within [start, limit), or -1. text[limit] exists: the paragraph goes on.
    private static int LastSentenceEnd(string text, int start, int limit)
    {
        for (int i = limit; i > start; i--)
        {
            if (!char.IsWhiteSpace(text[i])) continue;
            int j = i - 1;
            while (j > start && text[j] is '"' or '\'' or ')' or ']' or '”' or '’' or '»') j--;
            if (text[j] is '.' or '!' or '?' or '。' or '！' or '？' or '…') return i;
        }
        return -1;
    }

    private static int LastWhitespace(string text, int from, int limit)
    {
        for (int i = limit; i > from; i--)
            if (char.IsWhiteSpace(text[i])) return i;
        return -1;
    }

    // A line-by-line port of the authors' group_segments(text, max_length): segment lengths summed without the
    // joining newlines, strict '>' at the boundary, a group of only empty segments dropped before an oversized one.
    private void ChunkLikePython(string doc, List<ChunkSpan> chunks)
    {
        int groupStart = 0, groupEnd = 0, groupChars = 0, groupSegments = 0;
        int pos = 0;
        while (true)
        {
            int nl = doc.IndexOf('\n', pos);
            int end = nl < 0 ? doc.Length : nl;
            int chars = TextLength.Of(doc.AsSpan(pos, end - pos));
            if (groupChars + chars > MaxChars)
            {
                if (groupChars != 0) chunks.Add(new ChunkSpan(groupStart, groupEnd - groupStart));
                groupStart = pos;
                groupChars = chars;
                groupSegments = 1;
            }
            else
            {
                if (groupSegments == 0) groupStart = pos;
                groupChars += chars;
                groupSegments++;
            }
            groupEnd = end;
            if (nl < 0) break;
            pos = nl + 1;
        }
        if (groupSegments > 0) chunks.Add(new ChunkSpan(groupStart, groupEnd - groupStart));
    }
}
