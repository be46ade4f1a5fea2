using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace NExtLong.Index;

/// <summary>
/// Saving and opening vector indexes. Layout (little-endian): a 64-byte header — magic "NLVECS01", u32 format
/// version, u32 dimension, u64 count, u64 XxHash64 of the payload, then the spec string (UTF-8, zero-padded) —
/// followed by count × dimension float32. Files are written under a temporary name and renamed when complete,
/// and opening checks size and checksum, so a truncated or foreign file is a clear error, never wrong results.
/// </summary>
internal static class VectorIndexFile
{
    private static ReadOnlySpan<byte> Magic => "NLVECS01"u8;
    private const int FormatVersion = 1;
    internal const int HeaderBytes = 64;
    private const int SpecBytes = HeaderBytes - 32;

    /// <summary>Streams vectors to a new index file; nothing appears under the final name until <see cref="Complete"/>.</summary>
    public sealed class Writer : IDisposable
    {
        private readonly string _path;
        private readonly string _tempPath;
        private readonly FileStream _stream;
        private readonly XxHash64 _hash = new();
        private readonly int _dimension;
        private long _count;
        private bool _completed;

        public Writer(string path, int dimension)
        {
            _path = path;
            _dimension = dimension;
            _tempPath = path + ".tmp";
            _stream = new FileStream(_tempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
            _stream.Write(new byte[HeaderBytes]);
        }

        public long Count => _count;

        public void Append(ReadOnlySpan<float> vectors)
        {
            var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(vectors);
            _hash.Append(bytes);
            _stream.Write(bytes);
            _count += vectors.Length / _dimension;
        }

        public void Complete()
        {
            var header = BuildHeader("Flat", _dimension, _count, _hash.GetCurrentHashAsUInt64());
            _stream.Position = 0;
            _stream.Write(header);
            _stream.Flush(flushToDisk: true);
            _stream.Dispose();
            File.Move(_tempPath, _path, overwrite: true);
            _completed = true;
        }

        public void Dispose()
        {
            if (_completed) return;
            _stream.Dispose();
            File.Delete(_tempPath);
        }
    }

    public static void Save(IVectorIndex index, string path)
    {
        if (index is not FlatIndex flat) throw new NotSupportedException($"saving index type '{index.Spec}' is not supported");
        using var writer = new Writer(path, flat.Dimension);
        for (long start = 0; start < flat.Count; start += VectorRows.BlockRows)
            writer.Append(flat.Rows.Block(start, (int)Math.Min(VectorRows.BlockRows, flat.Count - start)));
        writer.Complete();
    }

    /// <summary>Opens an index file memory-mapped, verifying its header, size and (when <paramref name="verifyChecksum"/>) payload checksum.</summary>
    public static IVectorIndex Open(string path, bool verifyChecksum = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"index file not found: {path}", path);
        var header = new byte[HeaderBytes];
        long length;
        using (var fs = File.OpenRead(path))
        {
            length = fs.Length;
            if (fs.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes)
                throw new InvalidDataException($"{path}: truncated index file ({length} bytes, header needs {HeaderBytes})");
        }
        if (!header.AsSpan(0, 8).SequenceEqual(Magic)) throw new InvalidDataException($"{path}: not a nextlong vector index (bad magic)");
        int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version != FormatVersion) throw new InvalidDataException($"{path}: index format version {version}, this build reads {FormatVersion}");
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        long count = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(16));
        ulong checksum = BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(24));
        string spec = Encoding.UTF8.GetString(header.AsSpan(32, SpecBytes)).TrimEnd('\0');
        if (spec != "Flat") throw new InvalidDataException($"{path}: index type '{spec}' is not supported by this build");
        long expected = HeaderBytes + count * dimension * sizeof(float);
        if (dimension < 1 || count < 0 || length != expected)
            throw new InvalidDataException($"{path}: size {length} bytes does not match {count} vectors of dimension {dimension} ({expected} bytes); the file is truncated or corrupt");
        var rows = new MappedVectorRows(path, HeaderBytes, dimension, count);
        if (verifyChecksum)
        {
            var hash = new XxHash64();
            long payload = count * dimension * sizeof(float);
            for (long off = 0; off < payload; off += 1 << 30)
                hash.Append(rows.PayloadBytes(off, (int)Math.Min(1 << 30, payload - off)));
            if (hash.GetCurrentHashAsUInt64() != checksum)
            {
                rows.Dispose();
                throw new InvalidDataException($"{path}: payload checksum mismatch; the file is corrupt");
            }
        }
        return new FlatIndex(rows);
    }

    private static byte[] BuildHeader(string spec, int dimension, long count, ulong checksum)
    {
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), dimension);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), count);
        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(24), checksum);
        Encoding.UTF8.GetBytes(spec, header.AsSpan(32, SpecBytes));
        return header;
    }
}
