using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NExtLong.Embedding;

/// <summary>
/// Vectors on disk keyed by the XxHash128 of a chunk's UTF-8 text, in a folder per model (the model key names it),
/// so reruns, resumed runs and overlapping corpora embed each distinct text once. Each process appends to a segment
/// file of its own (named *.open while written, renamed *.seg when closed); every record carries a checksum, so a
/// segment cut short by a crash still yields its complete records. Safe for concurrent use.
/// </summary>
/// <remarks>
/// Segment layout (little-endian): 64-byte header — magic "NLEMBC01", u32 version, u32 dimension, 16-byte model key,
/// zero padding — then records of 16-byte text key, dimension × float32, u64 XxHash3 of the key and vector.
/// </remarks>
internal sealed class EmbeddingCache : IDisposable
{
    private const int HeaderBytes = 64;
    private const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "NLEMBC01"u8;

    private readonly ConcurrentDictionary<UInt128, (int Segment, long Offset)> _index = new();
    private SafeFileHandle[] _segments = [];
    private readonly int _dimension;
    private readonly int _recordBytes;
    private readonly object _writeLock = new();
    private readonly string _openPath;
    private SafeFileHandle? _writer;
    private int _writerSegment = -1;
    private long _writeOffset;
    private bool _disposed;

    public EmbeddingCache(string root, UInt128 modelKey, int dimension)
    {
        _dimension = dimension;
        _recordBytes = 16 + dimension * sizeof(float) + 8;
        Directory = Path.Combine(root, modelKey.ToString("x32"));
        System.IO.Directory.CreateDirectory(Directory);
        ModelKey = modelKey;
        foreach (string file in System.IO.Directory.GetFiles(Directory).Where(f => f.EndsWith(".seg", StringComparison.Ordinal) || f.EndsWith(".open", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            Load(file);
        _openPath = Path.Combine(Directory, $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}-{Guid.NewGuid():N}.open");
    }

    /// <summary>The folder of this model's segments.</summary>
    public string Directory { get; }

    public UInt128 ModelKey { get; }

    /// <summary>Vectors the cache holds.</summary>
    public int Count => _index.Count;

    /// <summary>The key of a text: XxHash128 of its UTF-8 bytes.</summary>
    public static UInt128 KeyOf(string text)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(max);
        int length = System.Text.Encoding.UTF8.GetBytes(text, buffer);
        var key = XxHash128.HashToUInt128(buffer.AsSpan(0, length));
        ArrayPool<byte>.Shared.Return(buffer);
        return key;
    }

    /// <summary>Copies the cached vector of <paramref name="key"/> into <paramref name="vector"/> if there is one.</summary>
    public bool TryGet(UInt128 key, Span<float> vector)
    {
        if (!_index.TryGetValue(key, out var at))
            return false;
        RandomAccess.Read(Volatile.Read(ref _segments)[at.Segment], MemoryMarshal.AsBytes(vector[.._dimension]), at.Offset + 16);
        return true;
    }

    /// <summary>Appends the vectors (row-major) of <paramref name="keys"/> that the cache does not hold yet.</summary>
    public void Add(ReadOnlySpan<UInt128> keys, ReadOnlySpan<float> vectors)
    {
        byte[] block = ArrayPool<byte>.Shared.Rent(keys.Length * _recordBytes);
        try
        {
            lock (_writeLock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                int count = 0;
                var fresh = new List<UInt128>(keys.Length);
                var seen = new HashSet<UInt128>();
                for (int i = 0; i < keys.Length; i++)
                {
                    if (_index.ContainsKey(keys[i]) || !seen.Add(keys[i]))
                        continue;
                    var record = block.AsSpan(count * _recordBytes, _recordBytes);
                    BinaryPrimitives.WriteUInt128LittleEndian(record, keys[i]);
                    MemoryMarshal.AsBytes(vectors.Slice(i * _dimension, _dimension)).CopyTo(record[16..]);
                    BinaryPrimitives.WriteUInt64LittleEndian(record[^8..], XxHash3.HashToUInt64(record[..^8]));
                    fresh.Add(keys[i]);
                    count++;
                }
                if (count == 0)
                    return;
                EnsureWriter();
                RandomAccess.Write(_writer!, block.AsSpan(0, count * _recordBytes), _writeOffset);
                for (int i = 0; i < count; i++)
                    _index.TryAdd(fresh[i], (_writerSegment, _writeOffset + (long)i * _recordBytes));
                _writeOffset += (long)count * _recordBytes;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    /// <summary>Closes the segments; this process's segment is renamed from *.open to *.seg.</summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var handle in _segments)
                handle.Dispose();
            if (_writer is not null)
                File.Move(_openPath, Path.ChangeExtension(_openPath, ".seg"));
        }
    }

    private void EnsureWriter()
    {
        if (_writer is not null)
            return;
        _writer = File.OpenHandle(_openPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        var header = new byte[HeaderBytes];
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), _dimension);
        BinaryPrimitives.WriteUInt128LittleEndian(header.AsSpan(16), ModelKey);
        RandomAccess.Write(_writer, header, 0);
        _writeOffset = HeaderBytes;
        _writerSegment = AddSegment(_writer);
    }

    /// <summary>Publishes a new array so that lock-free readers always see a complete one.</summary>
    private int AddSegment(SafeFileHandle handle)
    {
        Volatile.Write(ref _segments, [.. _segments, handle]);
        return _segments.Length - 1;
    }

    private void Load(string file)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            // Renamed from .open to .seg by its writer since the listing; the .seg name is in the listing or is read next run.
            return;
        }
        long length = RandomAccess.GetLength(handle);
        var header = new byte[HeaderBytes];
        if (length < HeaderBytes || RandomAccess.Read(handle, header, 0) < HeaderBytes || !header.AsSpan(0, 8).SequenceEqual(Magic))
        {
            handle.Dispose();
            if (length == 0)
                return;
            throw new InvalidDataException($"{file}: not an embedding cache segment (no NLEMBC01 header); remove it");
        }
        int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        int dimension = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
        var key = BinaryPrimitives.ReadUInt128LittleEndian(header.AsSpan(16));
        if (version != FormatVersion || dimension != _dimension || key != ModelKey)
        {
            handle.Dispose();
            throw new InvalidDataException($"{file}: cache segment of format {version}, dimension {dimension}, model {key:x32}; expected format {FormatVersion}, dimension {_dimension}, model {ModelKey:x32}");
        }
        int segment = AddSegment(handle);
        const int RecordsPerRead = 256;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(RecordsPerRead * _recordBytes);
        try
        {
            for (long offset = HeaderBytes; offset + _recordBytes <= length;)
            {
                int want = (int)Math.Min(RecordsPerRead, (length - offset) / _recordBytes) * _recordBytes;
                int read = RandomAccess.Read(handle, buffer.AsSpan(0, want), offset);
                int records = read / _recordBytes;
                if (records == 0)
                    break;
                for (int r = 0; r < records; r++)
                {
                    var record = buffer.AsSpan(r * _recordBytes, _recordBytes);
                    // A record a crash cut short or garbled fails its checksum and is left out.
                    if (XxHash3.HashToUInt64(record[..^8]) == BinaryPrimitives.ReadUInt64LittleEndian(record[^8..]))
                        _index.TryAdd(BinaryPrimitives.ReadUInt128LittleEndian(record), (segment, offset + (long)r * _recordBytes));
                }
                offset += (long)records * _recordBytes;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
