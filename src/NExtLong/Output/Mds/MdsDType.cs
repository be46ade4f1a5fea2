namespace NExtLong.Output.Mds;

/// <summary>
/// The numpy dtypes an MDS <c>ndarray</c> column may hold, with the one-byte codes mosaicml-streaming writes
/// before the values when the encoding leaves the dtype open ("ndarray" rather than "ndarray:uint32").
/// </summary>
public static class MdsDType
{
    private static readonly (string Name, byte Code, int Size)[] Table =
    [
        ("uint8", 8, 1), ("int8", 9, 1),
        ("uint16", 16, 2), ("int16", 17, 2), ("float16", 18, 2),
        ("uint32", 32, 4), ("int32", 33, 4), ("float32", 34, 4),
        ("uint64", 64, 8), ("int64", 65, 8), ("float64", 66, 8),
    ];

    /// <summary>Whether <paramref name="name"/> is one of the numpy dtype names MDS ndarrays hold ("uint8" … "float64").</summary>
    public static bool IsKnown(string name) => Array.Exists(Table, t => t.Name == name);

    /// <summary>The size of one value of dtype <paramref name="name"/>, in bytes (1, 2, 4 or 8).</summary>
    /// <exception cref="InvalidDataException">The dtype is unknown.</exception>
    public static int SizeOf(string name) => Find(t => t.Name == name, name).Size;

    /// <summary>The dtype name of the one-byte code mosaicml-streaming writes before the values of an ndarray of open dtype.</summary>
    /// <exception cref="InvalidDataException">The code is unknown.</exception>
    public static string NameOf(byte code) => Find(t => t.Code == code, $"code {code}").Name;

    private static (string Name, byte Code, int Size) Find(Predicate<(string Name, byte Code, int Size)> match, string what)
    {
        int i = Array.FindIndex(Table, match);
        return i >= 0 ? Table[i] : throw new InvalidDataException($"unknown ndarray dtype {what}");
    }
}
