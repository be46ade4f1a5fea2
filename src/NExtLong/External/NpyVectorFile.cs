using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;

namespace NExtLong.External;

/// <summary>
/// NumPy .npy files (format versions 1–3) of a 2-D C-order float32 or float16 array, rows in chunk order:
/// <c>np.save("emb-00000.npy", embeddings.astype(np.float32))</c>.
/// </summary>
internal static partial class NpyVectorFile
{
    public static IVectorShardReader Open(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        Span<byte> lead = stackalloc byte[12];
        int got = fs.ReadAtLeast(lead, 12, throwOnEndOfStream: false);
        if (got < 10 || lead[0] != 0x93 || !lead[1..6].SequenceEqual("NUMPY"u8))
            throw new InvalidDataException($"{path}: not a NumPy .npy file (no \\x93NUMPY magic)");
        int major = lead[6];
        int headerLength, headerStart;
        if (major == 1) (headerLength, headerStart) = (BinaryPrimitives.ReadUInt16LittleEndian(lead[8..]), 10);
        else if (major is 2 or 3 && got == 12) (headerLength, headerStart) = ((int)BinaryPrimitives.ReadUInt32LittleEndian(lead[8..]), 12);
        else throw new InvalidDataException($"{path}: .npy format version {major} is not supported (1, 2 or 3)");
        var header = new byte[headerLength];
        fs.Position = headerStart;
        if (fs.ReadAtLeast(header, headerLength, throwOnEndOfStream: false) < headerLength)
            throw new InvalidDataException($"{path}: truncated .npy header");
        string text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(header);
        string descr = Field(Descr(), text, path, "descr");
        var element = descr switch
        {
            "<f4" or "=f4" => VectorElement.Float32,
            "<f2" or "=f2" => VectorElement.Float16,
            _ => throw new InvalidDataException($"{path}: dtype '{descr}' is not supported; save float32 ('<f4') or float16 ('<f2') vectors"),
        };
        if (Field(FortranOrder(), text, path, "fortran_order") != "False")
            throw new InvalidDataException($"{path}: the array is in Fortran order; save np.ascontiguousarray(vectors)");
        var shape = Field(Shape(), text, path, "shape").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (shape.Length != 2 || !long.TryParse(shape[0], out long rows) || !int.TryParse(shape[1], out int dimension) || dimension < 1)
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) is not (rows, dimension); save a 2-D array, one row per chunk");
        long offset = headerStart + headerLength;
        long expected = offset + rows * dimension * RawVectorShardReader.BytesOf(element);
        if (fs.Length != expected)
            throw new InvalidDataException($"{path}: {fs.Length} bytes, but a ({rows}, {dimension}) {descr} array needs {expected}; the file is truncated or not what its header says");
        return new RawVectorShardReader(path, offset, rows, dimension, element);
    }

    private static string Field(Regex pattern, string header, string path, string name)
        => pattern.Match(header) is { Success: true } m ? m.Groups[1].Value : throw new InvalidDataException($"{path}: the .npy header has no '{name}'");

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranOrder();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex Shape();
}
