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

    /// <summary>
    /// Appends the bytes from <paramref name="from"/> to the end to <paramref name="hash"/>, 4 MiB at a time
    /// (<paramref name="ct"/> is checked between blocks). Each block's pages are then dropped from this process's page
    /// tables (madvise MADV_DONTNEED; Linux only, a no-op elsewhere or if refused): the page cache keeps them and a
    /// later read maps them again, so checking a whole file does not grow the resident set to the whole index (RSS is
    /// what Slurm's accounting reads).
    /// </summary>
    public void HashInto(System.IO.Hashing.NonCryptographicHashAlgorithm hash, long from, CancellationToken ct = default)
    {
        for (long at = from; at < Length; at += HashBlockBytes)
        {
            ct.ThrowIfCancellationRequested();
            int length = (int)Math.Min(HashBlockBytes, Length - at);
            hash.Append(new ReadOnlySpan<byte>(_data + at, length));
            Release(at, length);
        }
    }

    private const int HashBlockBytes = 4 << 20;

    // Drops the page-table entries of the whole pages inside [offset, offset + length).
    private void Release(long offset, long length)
    {
        if (!OperatingSystem.IsLinux()) return;
        long page = Environment.SystemPageSize;
        long start = (offset + page - 1) / page * page, end = Math.Min(Length, offset + length) / page * page;
        if (end > start) _ = Madvise(_data + start, (nuint)(end - start), MadvDontNeed);
    }

    private const int MadvDontNeed = 4;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(byte* address, nuint length, int advice);

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
