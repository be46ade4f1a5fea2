using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace NExtLong.IndexBench;

/// <summary>
/// The big-ann-benchmarks vector file format shared with the FAISS scripts (little-endian): u32 rows, u32 columns,
/// then rows × columns float32 (.fbin) or int32 (.ibin), row-major. Large files are memory-mapped, not copied.
/// </summary>
internal sealed unsafe class BinVectors : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _data;

    public BinVectors(string path)
    {
        using (var header = File.OpenRead(path))
        {
            Span<byte> h = stackalloc byte[8];
            header.ReadExactly(h);
            Rows = MemoryMarshal.Read<int>(h);
            Columns = MemoryMarshal.Read<int>(h[4..]);
            if (header.Length != 8 + (long)Rows * Columns * 4) throw new InvalidDataException($"{path}: size does not match {Rows} × {Columns}");
        }
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _data = p + _view.PointerOffset + 8;
    }

    public int Rows { get; }

    public int Columns { get; }

    public ReadOnlySpan<float> Floats(long firstRow, int rows) => new((float*)_data + firstRow * Columns, checked(rows * Columns));

    public ReadOnlySpan<int> Ints(long firstRow, int rows) => new((int*)_data + firstRow * Columns, checked(rows * Columns));

    public static void Write(string path, int rows, int columns, ReadOnlySpan<float> data)
    {
        string temp = path + ".tmp";
        using (var f = File.Create(temp))
        {
            Span<int> header = [rows, columns];
            f.Write(MemoryMarshal.AsBytes(header));
            f.Write(MemoryMarshal.AsBytes(data));
        }
        File.Move(temp, path, overwrite: true);
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
