namespace NExtLong.Output.Mds;

/// <summary>
/// A column encoding as mosaicml-streaming names it (streaming/base/format/mds/encodings.py). The writer uses
/// the five below; reading accepts every encoding whose byte size can be told (so any sample can be split into
/// its columns), and decodes the text, integer, float, json and ndarray ones.
/// </summary>
public sealed class MdsEncoding : IEquatable<MdsEncoding>
{
    /// <summary>UTF-8 text.</summary>
    public static readonly MdsEncoding Str = new("str", null);

    /// <summary>A Python int, stored as 8-byte little-endian int64.</summary>
    public static readonly MdsEncoding Int = new("int", 8);

    /// <summary>One unsigned 32-bit integer, 4 bytes little-endian.</summary>
    public static readonly MdsEncoding UInt32 = new("uint32", 4);

    /// <summary>A uint32 array of any shape: [ndim/shape-dtype byte][shape][values].</summary>
    public static readonly MdsEncoding NDArrayUInt32 = new("ndarray:uint32", null);

    /// <summary>Python <c>json.dumps</c> text, UTF-8.</summary>
    public static readonly MdsEncoding Json = new("json", null);

    private static readonly string[] VariableSize =
        ["str", "bytes", "json", "str_int", "str_float", "str_decimal", "pkl", "pil", "jpeg", "png", "jpeg_array", "list[pil]", "list[jpeg]", "list[png]"];

    private MdsEncoding(string name, int? fixedSize)
    {
        Name = name;
        FixedSize = fixedSize;
    }

    /// <summary>The name written to index.json, e.g. "ndarray:uint32".</summary>
    public string Name { get; }

    /// <summary>Bytes per value for fixed-size encodings; null when each sample stores its own length.</summary>
    public int? FixedSize { get; }

    /// <summary>For "ndarray[:dtype[:shape]]": the dtype, or null when each value names its own.</summary>
    public string? NDArrayDType => Name.StartsWith("ndarray:", StringComparison.Ordinal) ? Name.Split(':')[1] : null;

    /// <summary>For "ndarray:dtype:shape": the fixed shape, or null.</summary>
    public int[]? NDArrayShape => Name.Split(':') is [_, _, var shape] ? [.. shape.Split(',').Select(int.Parse)] : null;

    /// <summary>True for "ndarray" and every "ndarray:…" encoding, whose values <see cref="MdsNdArray.Decode"/> reads.</summary>
    public bool IsNDArray => Name == "ndarray" || Name.StartsWith("ndarray:", StringComparison.Ordinal);

    /// <summary>Reads an encoding name from an index.json; unknown names are refused, as the reader would.</summary>
    public static MdsEncoding Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var known in (MdsEncoding[])[Str, Int, UInt32, NDArrayUInt32, Json])
        {
            if (known.Name == name)
                return known;
        }
        if (VariableSize.Contains(name))
            return new MdsEncoding(name, null);
        if (MdsDType.IsKnown(name))
            return new MdsEncoding(name, MdsDType.SizeOf(name));
        if (name == "ndarray")
            return new MdsEncoding(name, null);
        if (name.StartsWith("ndarray:", StringComparison.Ordinal))
        {
            string[] parts = name.Split(':');
            if (parts.Length > 3 || !MdsDType.IsKnown(parts[1]))
                throw new InvalidDataException($"unknown MDS encoding \"{name}\"");
            if (parts.Length == 2)
                return new MdsEncoding(name, null);
            long count = 1;
            foreach (string dim in parts[2].Split(','))
            {
                if (!int.TryParse(dim, out int d) || d <= 0)
                    throw new InvalidDataException($"MDS encoding \"{name}\" has a bad shape");
                count *= d;
            }
            return new MdsEncoding(name, checked((int)(count * MdsDType.SizeOf(parts[1]))));
        }
        throw new InvalidDataException($"unknown MDS encoding \"{name}\"");
    }

    /// <summary>Encodings are equal when their names are (e.g. two parses of "ndarray:uint32").</summary>
    public bool Equals(MdsEncoding? other) => other is not null && other.Name == Name;

    /// <summary>True when <paramref name="obj"/> is an <see cref="MdsEncoding"/> of the same name.</summary>
    public override bool Equals(object? obj) => Equals(obj as MdsEncoding);

    /// <summary>The ordinal hash of <see cref="Name"/>, consistent with <see cref="Equals(MdsEncoding?)"/>.</summary>
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    /// <summary>The name as index.json spells it.</summary>
    public override string ToString() => Name;
}
