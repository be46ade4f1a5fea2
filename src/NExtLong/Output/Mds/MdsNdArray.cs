using System.Buffers.Binary;

namespace NExtLong.Output.Mds;

/// <summary>A decoded ndarray value of an MDS sample: its dtype, shape and little-endian values (a view into the sample).</summary>
public readonly ref struct MdsNdArray
{
    /// <summary>A view of <paramref name="values"/> as an array of <paramref name="shape"/> and <paramref name="dtype"/>.</summary>
    /// <param name="dtype">A numpy dtype name <see cref="MdsDType"/> knows, e.g. "uint32".</param>
    /// <param name="shape">The dimensions, outermost first (C order).</param>
    /// <param name="values">The values, little-endian: exactly the product of the dimensions times the dtype's size in bytes.</param>
    /// <exception cref="InvalidDataException">The dtype is unknown or the byte count does not match the shape.</exception>
    public MdsNdArray(string dtype, int[] shape, ReadOnlySpan<byte> values)
    {
        DType = dtype;
        Shape = shape;
        Values = values;
        ItemSize = MdsDType.SizeOf(dtype);
        long count = 1;
        foreach (int d in shape) count *= d;
        if (count * ItemSize != values.Length)
            throw new InvalidDataException($"ndarray of shape [{string.Join(", ", shape)}] {dtype} needs {count * ItemSize} bytes, the sample holds {values.Length}");
        Count = count;
    }

    /// <summary>The numpy dtype name of the values, e.g. "uint32".</summary>
    public string DType { get; }

    /// <summary>The dimensions, outermost first (C order).</summary>
    public int[] Shape { get; }

    /// <summary>The values' bytes, little-endian, a view into the sample.</summary>
    public ReadOnlySpan<byte> Values { get; }

    /// <summary>Bytes per value: 1, 2, 4 or 8.</summary>
    public int ItemSize { get; }

    /// <summary>Values in the array: the product of the dimensions.</summary>
    public long Count { get; }

    /// <summary>
    /// Decodes the value that follows an encoding's header. <paramref name="encoding"/> says which parts the bytes
    /// carry: "ndarray" a dtype code, then the shape; "ndarray:dtype" the shape; "ndarray:dtype:shape" neither.
    /// </summary>
    public static MdsNdArray Decode(MdsEncoding encoding, ReadOnlySpan<byte> data)
    {
        string? dtype = encoding.NDArrayDType;
        int at = 0;
        if (dtype is null)
            dtype = MdsDType.NameOf(Byte(data, at++));
        int[]? shape = encoding.NDArrayShape;
        if (shape is null)
        {
            byte head = Byte(data, at++);
            int ndim = head >> 2, width = 1 << (head & 3);
            if (ndim == 0 || data.Length < at + ndim * width)
                throw new InvalidDataException($"ndarray header {head:x2} does not fit the {data.Length} bytes of the value");
            shape = new int[ndim];
            for (int i = 0; i < ndim; i++, at += width)
            {
                ulong d = width switch
                {
                    1 => data[at],
                    2 => BinaryPrimitives.ReadUInt16LittleEndian(data[at..]),
                    4 => BinaryPrimitives.ReadUInt32LittleEndian(data[at..]),
                    _ => BinaryPrimitives.ReadUInt64LittleEndian(data[at..]),
                };
                shape[i] = d <= int.MaxValue ? (int)d : throw new InvalidDataException($"ndarray dimension {d} is too large");
            }
        }
        return new MdsNdArray(dtype, shape, data[at..]);
    }

    /// <summary>Value <paramref name="i"/> (flat, C order) as an integer; for integer dtypes.</summary>
    public long GetInt64(long i)
    {
        var v = Values.Slice(checked((int)(i * ItemSize)), ItemSize);
        return DType switch
        {
            "uint8" => v[0],
            "int8" => (sbyte)v[0],
            "uint16" => BinaryPrimitives.ReadUInt16LittleEndian(v),
            "int16" => BinaryPrimitives.ReadInt16LittleEndian(v),
            "uint32" => BinaryPrimitives.ReadUInt32LittleEndian(v),
            "int32" => BinaryPrimitives.ReadInt32LittleEndian(v),
            "int64" => BinaryPrimitives.ReadInt64LittleEndian(v),
            "uint64" => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(v)),
            _ => throw new InvalidDataException($"ndarray of {DType} holds no integers"),
        };
    }

    /// <summary>Copies every value into <paramref name="dest"/> as int32 token ids; uint32 values above int.MaxValue are refused.</summary>
    public void CopyToInt32(Span<int> dest)
    {
        if (dest.Length < Count)
            throw new ArgumentException($"{Count} values do not fit {dest.Length}", nameof(dest));
        if (DType == "uint32")
        {
            // The common case (ProLong's input_ids): one pass, no per-value dispatch.
            for (int i = 0; i < Count; i++)
            {
                uint v = BinaryPrimitives.ReadUInt32LittleEndian(Values[(4 * i)..]);
                dest[i] = v <= int.MaxValue ? (int)v : throw new InvalidDataException($"token id {v} is out of range");
            }
            return;
        }
        for (int i = 0; i < Count; i++)
        {
            long v = GetInt64(i);
            dest[i] = v is >= 0 and <= int.MaxValue ? (int)v : throw new InvalidDataException($"token id {v} is out of range");
        }
    }

    private static byte Byte(ReadOnlySpan<byte> data, int at) =>
        at < data.Length ? data[at] : throw new InvalidDataException("ndarray value is cut short");
}
