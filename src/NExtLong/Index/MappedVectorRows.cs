using System.IO.MemoryMappedFiles;

namespace NExtLong.Index;

/// <summary>Rows read straight from a memory-mapped vector file, so an index larger than RAM still opens instantly.</summary>
internal sealed unsafe class MappedVectorRows : VectorRows
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly float* _rows;

    public MappedVectorRows(string path, long payloadOffset, int dimension, long count) : base(dimension)
    {
        Count = count;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p;
        _rows = (float*)(p + _view.PointerOffset + payloadOffset);
    }

    public override long Count { get; }

    public override ReadOnlySpan<float> Block(long start, int rows)
        => new(_rows + start * Dimension, rows * Dimension);

    /// <summary>The whole payload as bytes, for checksumming.</summary>
    public ReadOnlySpan<byte> PayloadBytes(long offset, int length) => new((byte*)_rows + offset, length);

    public override void Dispose()
    {
        if (_base != null) _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
