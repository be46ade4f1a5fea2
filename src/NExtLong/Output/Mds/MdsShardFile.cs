using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace NExtLong.Output.Mds;

/// <summary>
/// Random access to the samples of one shard: a plain shard is read in place (two small reads per sample, as
/// mosaicml-streaming's reader does); a compressed one is decompressed whole into memory.
/// </summary>
internal sealed class MdsShardFile : IDisposable
{
    private readonly SafeFileHandle? _file;
    private readonly byte[]? _raw;
    private readonly long _length;

    public MdsShardFile(string datasetDir, MdsShardInfo info)
    {
        Info = info;
        string rawPath = Path.Combine(datasetDir, info.RawData.Basename);
        // mosaicml-streaming decompresses next to the compressed file; use such a copy when it is there.
        if (File.Exists(rawPath))
        {
            FilePath = rawPath;
            _file = File.OpenHandle(rawPath);
            _length = RandomAccess.GetLength(_file);
        }
        else if (info.ZipData is not null)
        {
            FilePath = Path.Combine(datasetDir, info.ZipData.Basename);
            if (!File.Exists(FilePath))
                throw new FileNotFoundException($"{FilePath}: shard listed in index.json is missing", FilePath);
            using var zip = File.OpenRead(FilePath);
            try
            {
                _raw = MdsCompression.Parse(info.Compression!).Decompress(zip, info.RawData.Bytes);
            }
            catch (Exception e) when (e is not IOException || e is EndOfStreamException)
            {
                throw new InvalidDataException($"{FilePath}: cannot be decompressed as {info.Compression} to {info.RawData.Bytes:N0} bytes ({e.Message})", e);
            }
            _length = _raw.Length;
        }
        else
        {
            throw new FileNotFoundException($"{rawPath}: shard listed in index.json is missing", rawPath);
        }
        if (_length != info.RawData.Bytes)
            throw new InvalidDataException($"{FilePath}: {_length:N0} bytes, index.json says {info.RawData.Bytes:N0}");
        Span<byte> n = stackalloc byte[4];
        Read(0, n);
        if (BinaryPrimitives.ReadUInt32LittleEndian(n) != info.Samples)
            throw new InvalidDataException($"{FilePath}: holds {BinaryPrimitives.ReadUInt32LittleEndian(n)} samples, index.json says {info.Samples}");
    }

    public MdsShardInfo Info { get; }

    public string FilePath { get; }

    /// <summary>Reads sample <paramref name="index"/> into <paramref name="buffer"/> (grown as needed); returns its length.</summary>
    public int ReadSample(long index, ref byte[] buffer)
    {
        Span<byte> pair = stackalloc byte[8];
        Read(4 + 4 * index, pair);
        uint begin = BinaryPrimitives.ReadUInt32LittleEndian(pair), end = BinaryPrimitives.ReadUInt32LittleEndian(pair[4..]);
        if (end < begin || end > _length)
            throw new InvalidDataException($"{FilePath}: sample {index} has offsets {begin}..{end} outside the file's {_length} bytes");
        int size = (int)(end - begin);
        if (buffer.Length < size)
            buffer = new byte[Math.Max(size, buffer.Length * 2)];
        Read(begin, buffer.AsSpan(0, size));
        return size;
    }

    private void Read(long offset, Span<byte> dest)
    {
        if (offset + dest.Length > _length)
            throw new InvalidDataException($"{FilePath}: cut short ({_length} bytes, needs {offset + dest.Length})");
        if (_raw is not null)
        {
            _raw.AsSpan((int)offset, dest.Length).CopyTo(dest);
            return;
        }
        if (RandomAccess.Read(_file!, dest, offset) != dest.Length)
            throw new InvalidDataException($"{FilePath}: cut short at {offset}");
    }

    public void Dispose() => _file?.Dispose();
}
