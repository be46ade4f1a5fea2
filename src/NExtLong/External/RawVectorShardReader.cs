using System.Buffers;
using System.Runtime.InteropServices;

namespace NExtLong.External;

/// <summary>
/// Row-major little-endian float32, float16 or bfloat16 values at an offset of a file: the payload of .npy and
/// safetensors files. Rows are read in blocks through one pooled buffer and widened to float32.
/// </summary>
internal sealed class RawVectorShardReader : IVectorShardReader
{
    private readonly FileStream _stream;
    private readonly VectorElement _element;
    private readonly long _end;
    private byte[] _buffer = [];

    public RawVectorShardReader(string path, long offset, long rows, int dimension, VectorElement element)
    {
        Path = path;
        Rows = rows;
        Dimension = dimension;
        _element = element;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        _stream.Position = offset;
        _end = offset + rows * dimension * BytesOf(element);
    }

    public static int BytesOf(VectorElement element) => element == VectorElement.Float32 ? 4 : 2;

    public string Path { get; }

    public long Rows { get; }

    public int Dimension { get; }

    public bool Keyed => false;

    public int Read(Span<float> destination, Span<long> chunkIds)
    {
        int size = BytesOf(_element);
        long rowBytes = (long)Dimension * size;
        int rows = (int)Math.Min(destination.Length / Dimension, (_end - _stream.Position) / rowBytes);
        if (rows <= 0) return 0;
        int bytes = checked((int)(rows * rowBytes));
        if (_buffer.Length < bytes)
        {
            if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(bytes);
        }
        if (_stream.ReadAtLeast(_buffer.AsSpan(0, bytes), bytes, throwOnEndOfStream: false) < bytes)
            throw new InvalidDataException($"{Path}: truncated: it ends inside its vectors");
        var values = destination[..(rows * Dimension)];
        var raw = _buffer.AsSpan(0, bytes);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("reading vectors needs a little-endian machine");
        switch (_element)
        {
            case VectorElement.Float32:
                MemoryMarshal.Cast<byte, float>(raw).CopyTo(values);
                break;
            case VectorElement.Float16:
                var halves = MemoryMarshal.Cast<byte, Half>(raw);
                for (int i = 0; i < values.Length; i++) values[i] = (float)halves[i];
                break;
            default:
                // bfloat16 is the high half of a float32.
                var bf = MemoryMarshal.Cast<byte, ushort>(raw);
                for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(bf[i] << 16);
                break;
        }
        return rows;
    }

    public void Dispose()
    {
        _stream.Dispose();
        if (_buffer.Length > 0) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }
}
