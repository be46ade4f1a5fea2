using System.Buffers;
using System.Text;
using NExtLong.Chunking;

namespace NExtLong.Index;

/// <summary>
/// The text of a prepared document that its indexed chunks leave out: before the first chunk, between each two and
/// after the last (the line breaks the chunker cuts at, blank chunks, a document with no chunk at all). With them the
/// index gives a meta-document back exactly as <see cref="ParagraphChunker.Prepare"/> made it, so synthesis can choose
/// and read meta-documents from the index instead of decompressing the whole corpus. One document's gaps, as
/// documents.gaps stores them: ChunkCount + 1 pieces, each its UTF-8 byte count (LEB128) and then its bytes.
/// </summary>
internal static class DocumentGaps
{
    /// <summary>Appends the gaps of <paramref name="text"/> around <paramref name="chunks"/> (in order, not overlapping) to <paramref name="into"/>.</summary>
    public static void Encode(string text, IReadOnlyList<ChunkSpan> chunks, ArrayBufferWriter<byte> into)
    {
        int at = 0;
        foreach (var chunk in chunks)
        {
            if (chunk.Start < at) throw new ArgumentException("chunks must be in document order and must not overlap", nameof(chunks));
            Piece(text.AsSpan(at, chunk.Start - at), into);
            at = chunk.End;
        }
        Piece(text.AsSpan(at), into);
    }

    private static void Piece(ReadOnlySpan<char> gap, ArrayBufferWriter<byte> into)
    {
        int bytes = Encoding.UTF8.GetByteCount(gap);
        var length = into.GetSpan(5);
        int n = 0;
        for (uint v = (uint)bytes; ; v >>= 7)
        {
            if (v < 0x80) { length[n++] = (byte)v; break; }
            length[n++] = (byte)(v | 0x80);
        }
        into.Advance(n);
        into.Advance(Encoding.UTF8.GetBytes(gap, into.GetSpan(bytes)));
    }

    /// <summary>
    /// The prepared document: gap 0, chunk 0, gap 1, …, chunk n − 1, gap n, where <paramref name="chunkUtf8"/>(i) gives
    /// chunk i's stored UTF-8 bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">The gaps do not hold <paramref name="chunkCount"/> + 1 pieces.</exception>
    public static string Rebuild(ReadOnlySpan<byte> gaps, int chunkCount, Func<int, ReadOnlySpan<byte>> chunkUtf8)
    {
        long total = gaps.Length;
        for (int i = 0; i < chunkCount; i++) total += chunkUtf8(i).Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(checked((int)total));
        try
        {
            int written = 0, at = 0;
            for (int i = 0; ; i++)
            {
                int length = ReadLength(gaps, ref at);
                if (length > gaps.Length - at) throw Corrupt();
                gaps.Slice(at, length).CopyTo(buffer.AsSpan(written));
                written += length;
                at += length;
                if (i == chunkCount) break;
                var chunk = chunkUtf8(i);
                chunk.CopyTo(buffer.AsSpan(written));
                written += chunk.Length;
            }
            if (at != gaps.Length) throw Corrupt();
            return Encoding.UTF8.GetString(buffer, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int ReadLength(ReadOnlySpan<byte> gaps, ref int at)
    {
        uint value = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (at >= gaps.Length) throw Corrupt();
            byte b = gaps[at++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80) return value <= int.MaxValue ? (int)value : throw Corrupt();
        }
        throw Corrupt();
    }

    private static InvalidDataException Corrupt() => new($"{ChunkIndexFiles.DocumentGaps}: a document's gaps do not match its chunk count");
}
