using System.IO.MemoryMappedFiles;

namespace NExtLong.Index;

/// <summary>A read-only memory-mapped file exposed as spans; an empty file maps to nothing.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data;
    private int _disposed;

    public MappedFile(string path)
    {
        Path = path;
        Length = new FileInfo(path).Length;
        if (Length == 0) return;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _data = p + _view.PointerOffset;
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>The first byte of the mapping (null for an empty file), for scans that index it directly.</summary>
    public byte* Data => _data;

    public ReadOnlySpan<byte> Span(long offset, int length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new InvalidDataException($"{Path}: read of {length} bytes at {offset} is outside the file ({Length} bytes); the index is corrupt");
        return new ReadOnlySpan<byte>(_data + offset, length);
    }

    public void Dispose()
    {
        // Idempotent: an index that fails while opening disposes what it had mapped, and its opener the rest.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
    }
}
