using System.Buffers.Binary;
using System.Text;

namespace NExtLong.Output.Mds;

/// <summary>
/// Encodes one sample column by column into a reusable buffer (no allocation per sample once it has grown):
/// set every column, then hand it to <see cref="MdsWriter.Write"/>. Column numbers are positions in the
/// writer's sorted column list (<see cref="MdsWriter.Column"/>).
/// </summary>
internal sealed class MdsSampleBuilder
{
    private readonly IReadOnlyList<MdsColumn> _columns;
    private readonly (int Start, int Length)[] _slots;
    private readonly bool[] _set;
    private byte[] _buffer = new byte[4096];
    private int _used;

    internal MdsSampleBuilder(IReadOnlyList<MdsColumn> columns)
    {
        _columns = columns;
        _slots = new (int, int)[columns.Count];
        _set = new bool[columns.Count];
    }

    /// <summary>The encoded sample's size: a u32 length per variable-size column, then every column's bytes.</summary>
    internal int EncodedLength
    {
        get
        {
            int length = _used;
            foreach (var c in _columns)
                if (c.Encoding.FixedSize is null) length += 4;
            return length;
        }
    }

    public MdsSampleBuilder Clear()
    {
        Array.Clear(_set);
        _used = 0;
        return this;
    }

    public MdsSampleBuilder String(int column, string value)
    {
        Check(column, MdsEncoding.Str);
        Encoding.UTF8.GetBytes(value, Reserve(column, Encoding.UTF8.GetByteCount(value)));
        return this;
    }

    public MdsSampleBuilder Int(int column, long value)
    {
        Check(column, MdsEncoding.Int);
        BinaryPrimitives.WriteInt64LittleEndian(Reserve(column, 8), value);
        return this;
    }

    public MdsSampleBuilder UInt32(int column, uint value)
    {
        Check(column, MdsEncoding.UInt32);
        BinaryPrimitives.WriteUInt32LittleEndian(Reserve(column, 4), value);
        return this;
    }

    public MdsSampleBuilder Json(int column, ReadOnlySpan<byte> utf8)
    {
        Check(column, MdsEncoding.Json);
        utf8.CopyTo(Reserve(column, utf8.Length));
        return this;
    }

    /// <summary>Token ids as a 1-D ndarray:uint32.</summary>
    public MdsSampleBuilder Tokens(int column, ReadOnlySpan<int> ids)
    {
        Check(column, MdsEncoding.NDArrayUInt32);
        if (ids.IsEmpty)
            throw new ArgumentException($"column \"{_columns[column].Name}\": an empty array cannot be stored (mosaicml-streaming refuses it)");
        Span<byte> dest = Reserve(column, ShapeBytes([ids.Length]) + 4 * ids.Length);
        int at = WriteShape(dest, [ids.Length]);
        foreach (int id in ids)
        {
            if (id < 0)
                throw new ArgumentOutOfRangeException(nameof(ids), id, "token ids must not be negative");
            BinaryPrimitives.WriteUInt32LittleEndian(dest[at..], (uint)id);
            at += 4;
        }
        return this;
    }

    /// <summary>Document spans as an [n, 2] ndarray:uint32 of (start, end) rows: ProLong's <c>indices</c>.</summary>
    public MdsSampleBuilder Spans(int column, ReadOnlySpan<TokenRange> spans)
    {
        Check(column, MdsEncoding.NDArrayUInt32);
        if (spans.IsEmpty)
            throw new ArgumentException($"column \"{_columns[column].Name}\": an empty array cannot be stored (mosaicml-streaming refuses it)");
        Span<byte> dest = Reserve(column, ShapeBytes([spans.Length, 2]) + 8 * spans.Length);
        int at = WriteShape(dest, [spans.Length, 2]);
        foreach (var span in spans)
        {
            if (span.Start < 0 || span.End < span.Start)
                throw new ArgumentOutOfRangeException(nameof(spans), span, "a span needs 0 <= start <= end");
            BinaryPrimitives.WriteUInt32LittleEndian(dest[at..], (uint)span.Start);
            BinaryPrimitives.WriteUInt32LittleEndian(dest[(at + 4)..], (uint)span.End);
            at += 8;
        }
        return this;
    }

    /// <summary>Writes the sample as stored in a shard into <paramref name="dest"/> (<see cref="EncodedLength"/> bytes).</summary>
    internal void CopyTo(Span<byte> dest)
    {
        int at = 0;
        for (int i = 0; i < _columns.Count; i++)
        {
            if (!_set[i])
                throw new InvalidOperationException($"MDS sample: column \"{_columns[i].Name}\" was not set");
            if (_columns[i].Encoding.FixedSize is null)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(dest[at..], (uint)_slots[i].Length);
                at += 4;
            }
        }
        for (int i = 0; i < _columns.Count; i++)
        {
            _buffer.AsSpan(_slots[i].Start, _slots[i].Length).CopyTo(dest[at..]);
            at += _slots[i].Length;
        }
    }

    // mosaicml-streaming's NDArray: one byte (ndim << 2 | shape dtype), the shape in the smallest unsigned type
    // holding its largest dimension (0 uint8, 1 uint16, 2 uint32), then the values.
    private static int ShapeCode(ReadOnlySpan<int> shape)
    {
        int max = 0;
        foreach (int d in shape) max = Math.Max(max, d);
        return max < 1 << 8 ? 0 : max < 1 << 16 ? 1 : 2;
    }

    private static int ShapeBytes(ReadOnlySpan<int> shape) => 1 + shape.Length * (1 << ShapeCode(shape));

    private static int WriteShape(Span<byte> dest, ReadOnlySpan<int> shape)
    {
        int code = ShapeCode(shape);
        dest[0] = (byte)(shape.Length << 2 | code);
        int at = 1;
        foreach (int d in shape)
        {
            switch (code)
            {
                case 0: dest[at] = (byte)d; break;
                case 1: BinaryPrimitives.WriteUInt16LittleEndian(dest[at..], (ushort)d); break;
                default: BinaryPrimitives.WriteUInt32LittleEndian(dest[at..], (uint)d); break;
            }
            at += 1 << code;
        }
        return at;
    }

    private void Check(int column, MdsEncoding encoding)
    {
        if ((uint)column >= (uint)_columns.Count)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"the dataset has {_columns.Count} columns");
        if (!_columns[column].Encoding.Equals(encoding))
            throw new ArgumentException($"column \"{_columns[column].Name}\" is {_columns[column].Encoding}, not {encoding}");
        if (_set[column])
            throw new InvalidOperationException($"MDS sample: column \"{_columns[column].Name}\" set twice");
    }

    private Span<byte> Reserve(int column, int bytes)
    {
        if (_used + bytes > _buffer.Length)
            Array.Resize(ref _buffer, (int)Math.Min(Array.MaxLength, Math.Max((long)_buffer.Length * 2, (long)_used + bytes)));
        _slots[column] = (_used, bytes);
        _set[column] = true;
        _used += bytes;
        return _buffer.AsSpan(_slots[column].Start, bytes);
    }
}
