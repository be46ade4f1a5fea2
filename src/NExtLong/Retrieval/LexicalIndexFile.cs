using System.Buffers.Binary;

namespace NExtLong.Retrieval;

/// <summary>
/// The layout of lexical.bm25 (little-endian). A 64-byte header — magic "NLBM2501", u32 version, u32 reserved,
/// u64 chunks, u64 terms, u64 sum of chunk lengths (tokens), u64 table offset, u64 term-bytes offset, u64 XxHash64
/// of everything after the header — then one norm byte per chunk (<see cref="Bm25Norms"/>), the postings, the term
/// table ((terms + 1) × 16 B: u64 postings offset, u32 document frequency, u32 term-bytes offset; the last entry
/// only closes the ranges), and the terms' UTF-8 bytes in ordinal byte order. A term's postings are varint pairs
/// (chunk id minus the previous one, starting from 0; term frequency), in chunk order. The file is a function of
/// the chunks' texts and the analyzer alone, so any way of building it (one pass, spilled segments, merged pieces)
/// writes the same bytes.
/// </summary>
internal static class LexicalIndexFile
{
    public const string Magic = "NLBM2501";
    public const int Version = 1;
    public const int HeaderBytes = 64;
    public const int TableEntryBytes = 16;

    public readonly record struct Header(long Chunks, long Terms, long SumLengths, long TableOffset, long TermBytesOffset, ulong PayloadHash)
    {
        public long PostingsOffset => HeaderBytes + Chunks;

        public void Write(Span<byte> h)
        {
            h.Clear();
            System.Text.Encoding.ASCII.GetBytes(Magic, h);
            BinaryPrimitives.WriteInt32LittleEndian(h[8..], Version);
            BinaryPrimitives.WriteInt64LittleEndian(h[16..], Chunks);
            BinaryPrimitives.WriteInt64LittleEndian(h[24..], Terms);
            BinaryPrimitives.WriteInt64LittleEndian(h[32..], SumLengths);
            BinaryPrimitives.WriteInt64LittleEndian(h[40..], TableOffset);
            BinaryPrimitives.WriteInt64LittleEndian(h[48..], TermBytesOffset);
            BinaryPrimitives.WriteUInt64LittleEndian(h[56..], PayloadHash);
        }

        public static Header Read(ReadOnlySpan<byte> h, string path)
        {
            if (h.Length < HeaderBytes || System.Text.Encoding.ASCII.GetString(h[..8]) != Magic)
                throw new InvalidDataException($"{path}: not a nextlong lexical index (bad magic)");
            int version = BinaryPrimitives.ReadInt32LittleEndian(h[8..]);
            if (version != Version)
                throw new InvalidDataException($"{path}: lexical index version {version}, this build reads {Version}; rebuild the index with `nextlong index`");
            return new Header(BinaryPrimitives.ReadInt64LittleEndian(h[16..]), BinaryPrimitives.ReadInt64LittleEndian(h[24..]),
                BinaryPrimitives.ReadInt64LittleEndian(h[32..]), BinaryPrimitives.ReadInt64LittleEndian(h[40..]),
                BinaryPrimitives.ReadInt64LittleEndian(h[48..]), BinaryPrimitives.ReadUInt64LittleEndian(h[56..]));
        }
    }

    public static int WriteVarint(Span<byte> destination, uint value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[n++] = (byte)value;
        return n;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static uint ReadVarint(ReadOnlySpan<byte> source, ref int position)
    {
        // Most values (term frequencies, gaps in dense postings) are one byte: that case without the loop.
        byte first = source[position];
        if (first < 0x80)
        {
            position++;
            return first;
        }
        return ReadLongVarint(source, ref position);
    }

    /// <summary>
    /// <see cref="ReadVarint(ReadOnlySpan{byte}, ref int)"/> through a pointer, for the scoring loops: inlined whole, loop
    /// included, so that the caller's position stays in a register (a varint read through a call keeps it in memory,
    /// and each posting's bytes are found from the last one's). No bounds test: the caller checks the position it ends
    /// at against the postings' end. Five bytes at most (32 bits); a longer run is damage, read as a value no chunk id
    /// or gap can be.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static unsafe uint ReadVarint(byte* source, ref int position)
    {
        uint value = source[position++];
        if (value < 0x80) return value;
        value &= 0x7F;
        for (int shift = 7; shift < 35; shift += 7)
        {
            uint next = source[position++];
            value |= (next & 0x7F) << shift;
            if (next < 0x80) return value;
        }
        return uint.MaxValue;
    }

    private static uint ReadLongVarint(ReadOnlySpan<byte> source, ref int position)
    {
        uint value = 0;
        int shift = 0;
        while (true)
        {
            byte b = source[position++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80) return value;
            shift += 7;
        }
    }
}
