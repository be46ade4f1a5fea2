using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace NExtLong.Dedup;

/// <summary>
/// What a dedup unit (one input file) leaves for the merge, column by column so the merge reads one band at a time:
/// "NLDEDUP1", u32 version, u32 bands (0 for exact-only), i64 documents N, i64 signed documents M; N × 16 B exact keys
/// (<see cref="ExactKey"/>, little-endian low half first); M × i32 ordinals in the file of the documents with a
/// signature (at least five words); then, band by band, M × u64 band keys. 16 B per document plus 116 B per signed one.
/// </summary>
internal static class DedupUnitFile
{
    private static ReadOnlySpan<byte> Magic => "NLDEDUP1"u8;
    private const int Version = 1;
    private const int HeaderBytes = 32;

    /// <summary>Writes the unit at <paramref name="path"/>; <paramref name="bandKeys"/> holds M × bands keys, document-major.</summary>
    public static void Write(string path, ReadOnlySpan<UInt128> exactKeys, ReadOnlySpan<int> signed, ReadOnlySpan<ulong> bandKeys, int bands)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Span<byte> header = stackalloc byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Version);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], bands);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], exactKeys.Length);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], signed.Length);
        file.Write(header);
        file.Write(MemoryMarshal.AsBytes(exactKeys));
        file.Write(MemoryMarshal.AsBytes(signed));
        var column = new ulong[signed.Length];
        for (int band = 0; band < bands; band++)
        {
            for (int j = 0; j < signed.Length; j++) column[j] = bandKeys[j * bands + band];
            file.Write(MemoryMarshal.AsBytes(column.AsSpan()));
        }
        file.Flush(flushToDisk: true);
    }

    /// <summary>A unit file open for reading its columns.</summary>
    public sealed class Reader : IDisposable
    {
        private readonly FileStream _file;

        public Reader(string path)
        {
            _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> header = stackalloc byte[HeaderBytes];
            _file.ReadExactly(header);
            if (!header[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadInt32LittleEndian(header[8..]) != Version)
                throw new InvalidDataException($"{path}: not a dedup unit file of version {Version}");
            Bands = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
            Documents = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
            Signed = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
            long expected = HeaderBytes + Documents * 16 + Signed * 4 + Bands * Signed * 8;
            if (_file.Length != expected)
                throw new InvalidDataException($"{path}: {_file.Length} bytes, expected {expected}");
        }

        public int Bands { get; }
        public long Documents { get; }
        public long Signed { get; }

        public void ReadExactKeys(Span<UInt128> destination) => Read(HeaderBytes, MemoryMarshal.AsBytes(destination[..(int)Documents]));

        public void ReadSigned(Span<int> destination) => Read(HeaderBytes + Documents * 16, MemoryMarshal.AsBytes(destination[..(int)Signed]));

        public void ReadBand(int band, Span<ulong> destination)
            => Read(HeaderBytes + Documents * 16 + Signed * 4 + band * Signed * 8, MemoryMarshal.AsBytes(destination[..(int)Signed]));

        private void Read(long offset, Span<byte> destination)
        {
            _file.Position = offset;
            _file.ReadExactly(destination);
        }

        public void Dispose() => _file.Dispose();
    }
}
