using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace NExtLong.Output.Mds;

/// <summary>
/// One sample read from a shard, split into its columns: a u32 length per variable-size column (in column order),
/// then every column's bytes. The instance and its bytes are reused by the next read of the same dataset.
/// </summary>
internal sealed class MdsSample
{
    // Inspection output is for people: keep non-ASCII text readable.
    private static readonly System.Text.Json.JsonSerializerOptions ReadableJson =
        JsonContracts.Make(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    private readonly IReadOnlyList<MdsColumn> _columns;
    private readonly (int Start, int Length)[] _slots;
    private byte[] _data = [];
    private int _length;

    internal MdsSample(IReadOnlyList<MdsColumn> columns)
    {
        _columns = columns;
        _slots = new (int, int)[columns.Count];
    }

    public IReadOnlyList<MdsColumn> Columns => _columns;

    /// <summary>The sample as stored (for copying into a dataset with the same columns).</summary>
    public ReadOnlySpan<byte> Raw => _data.AsSpan(0, _length);

    /// <summary>Where the sample was read from, for error messages.</summary>
    public string Location { get; private set; } = "";

    public int Column(string name)
    {
        for (int i = 0; i < _columns.Count; i++)
        {
            if (_columns[i].Name == name)
                return i;
        }
        return -1;
    }

    public ReadOnlySpan<byte> Bytes(int column) => _data.AsSpan(_slots[column].Start, _slots[column].Length);

    /// <summary>A text column (str, json, str_int, str_float, str_decimal) as a string.</summary>
    public string GetString(int column) => Encoding.UTF8.GetString(Bytes(column));

    /// <summary>An integer column ("int" or an integer scalar dtype).</summary>
    public long GetInt64(int column)
    {
        var bytes = Bytes(column);
        return _columns[column].Encoding.Name switch
        {
            "int" or "int64" => BinaryPrimitives.ReadInt64LittleEndian(bytes),
            "uint64" => checked((long)BinaryPrimitives.ReadUInt64LittleEndian(bytes)),
            "uint32" => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            "int32" => BinaryPrimitives.ReadInt32LittleEndian(bytes),
            "uint16" => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            "int16" => BinaryPrimitives.ReadInt16LittleEndian(bytes),
            "uint8" => bytes[0],
            "int8" => (sbyte)bytes[0],
            var other => throw new InvalidDataException($"{Location}: column \"{_columns[column].Name}\" is {other}, not an integer"),
        };
    }

    public MdsNdArray GetNdArray(int column)
    {
        if (!_columns[column].Encoding.IsNDArray)
            throw new InvalidDataException($"{Location}: column \"{_columns[column].Name}\" is {_columns[column].Encoding}, not an ndarray");
        try
        {
            return MdsNdArray.Decode(_columns[column].Encoding, Bytes(column));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Location}: column \"{_columns[column].Name}\": {e.Message}", e);
        }
    }

    /// <summary>A short human-readable rendering of a column's value, for `nextlong inspect`.</summary>
    public string Describe(int column, int maxChars, int maxItems)
    {
        var encoding = _columns[column].Encoding;
        if (encoding.IsNDArray)
        {
            var array = GetNdArray(column);
            var items = new StringBuilder();
            long shown = Math.Min(array.Count, (long)maxItems * Math.Max(1, array.Shape.Length > 1 ? array.Shape[^1] : 1));
            for (long i = 0; i < shown; i++)
            {
                if (i > 0) items.Append(", ");
                items.Append(array.DType.StartsWith("float", StringComparison.Ordinal) ? FloatAt(array, i) : array.GetInt64(i).ToString(CultureInfo.InvariantCulture));
            }
            return $"{array.DType}[{string.Join(", ", array.Shape)}] [{items}{(shown < array.Count ? ", …" : "")}]";
        }
        return encoding.Name switch
        {
            "str" or "json" or "str_int" or "str_float" or "str_decimal" => Quote(GetString(column), maxChars),
            "float32" => BinaryPrimitives.ReadSingleLittleEndian(Bytes(column)).ToString("R", CultureInfo.InvariantCulture),
            "float64" => BinaryPrimitives.ReadDoubleLittleEndian(Bytes(column)).ToString("R", CultureInfo.InvariantCulture),
            "float16" => ((float)BinaryPrimitives.ReadHalfLittleEndian(Bytes(column))).ToString("R", CultureInfo.InvariantCulture),
            "int" or "int64" or "uint64" or "int32" or "uint32" or "int16" or "uint16" or "int8" or "uint8" => GetInt64(column).ToString(CultureInfo.InvariantCulture),
            _ => $"({Bytes(column).Length:N0} bytes of {encoding.Name}, not decoded)",
        };
    }

    /// <summary>Takes <paramref name="length"/> bytes of <paramref name="data"/> as the sample and splits it into columns.</summary>
    internal void Load(byte[] data, int length, string location)
    {
        _data = data;
        _length = length;
        Location = location;
        int at = 0;
        var sample = data.AsSpan(0, length);
        int heads = _columns.Count(c => c.Encoding.FixedSize is null);
        if (length < 4 * heads)
            throw new InvalidDataException($"{location}: {length} bytes cannot hold the sample's {heads} column lengths");
        int next = 4 * heads;
        for (int i = 0; i < _columns.Count; i++)
        {
            int size = _columns[i].Encoding.FixedSize ?? checked((int)BinaryPrimitives.ReadUInt32LittleEndian(sample[(4 * at++)..]));
            if (size < 0 || next + (long)size > length)
                throw new InvalidDataException($"{location}: column \"{_columns[i].Name}\" runs past the sample's {length} bytes");
            _slots[i] = (next, size);
            next += size;
        }
        if (next != length)
            throw new InvalidDataException($"{location}: the columns hold {next} bytes but the sample has {length}");
    }

    private static string FloatAt(MdsNdArray array, long i)
    {
        var v = array.Values.Slice((int)(i * array.ItemSize), array.ItemSize);
        double d = array.DType switch
        {
            "float16" => (double)BinaryPrimitives.ReadHalfLittleEndian(v),
            "float32" => BinaryPrimitives.ReadSingleLittleEndian(v),
            _ => BinaryPrimitives.ReadDoubleLittleEndian(v),
        };
        return d.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Text as a JSON string for people to read, cut at <paramref name="maxChars"/> (its length said when cut).</summary>
    internal static string Quote(string text, int maxChars)
    {
        string shown = text.Length <= maxChars ? text : text[..maxChars] + "…";
        return ReadableJson.Serialize(shown) + (text.Length > maxChars ? $" ({text.Length:N0} chars)" : "");
    }
}
