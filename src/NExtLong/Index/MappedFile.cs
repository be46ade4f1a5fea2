using System.IO.MemoryMappedFiles;

namespace NExtLong.Index;

/// <summary>A read-only memory-mapped file exposed as spans; an empty file maps to nothing.</summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle;
    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data;
    private int _disposed;

    public MappedFile(string path)
    {
        Path = path;
        _handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            Length = RandomAccess.GetLength(_handle);
            if (Length == 0) return;
            _file = MemoryMappedFile.CreateFromFile(_handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* p = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _data = p + _view.PointerOffset;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>The first byte of the mapping (null for an empty file), for scans that index it directly.</summary>
    public byte* Data => _data;

    /// <summary>
    /// Appends the bytes from <paramref name="from"/> to the end to <paramref name="hash"/>, read through the handle
    /// the mapping was made from (the same file), 4 MiB at a time (<paramref name="ct"/> is checked between blocks).
    /// Reading rather than hashing the mapping maps no page: checking a whole index neither grows the resident set to
    /// the index (RSS is what Slurm's accounting reads) nor pays for page faults, and for the unmapping and other
    /// threads' TLB flushes that dropping the pages again would cost.
    /// </summary>
    public void HashInto(System.IO.Hashing.NonCryptographicHashAlgorithm hash, long from, CancellationToken ct = default)
        => FileChecksum.Append(hash, _handle, from, Length, Path, ct);

    /// <summary>The open file's identity (<see cref="VerifiedFiles"/>); null where it cannot be read.</summary>
    public VerifiedFiles.FileIdentity? Identity() => VerifiedFiles.Identify(_handle);

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
            DropPages();
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }
        _file?.Dispose();
        _handle.Dispose();
    }

    /// <summary>Bytes whose pages one <c>madvise</c> drops before the unmapping (<see cref="DropPages"/>).</summary>
    private const long DropStep = 64L << 20;

    /// <summary>
    /// Unmapping a mapping that a run has read all over tears down its page tables while holding the process's
    /// address-space lock, which every other thread's mmap and mprotect wait for (the GC committing memory, a new
    /// thread's stack): at the end of a synthesis the index's unmapping held them up to ~30 ms. Dropping the pages first,
    /// 64 MiB at a time (<c>MADV_DONTNEED</c>, which only reads that lock, and only keeps the page cache), lets them in
    /// between and leaves the unmapping nothing to tear down. Advice only: where it is missing, the unmapping does it all.
    /// </summary>
    private void DropPages()
    {
        byte* mapping = _data - _view!.PointerOffset;
        long mapped = _view.PointerOffset + Length;
        for (long at = 0; at < mapped; at += DropStep)
            MemoryAdvice.Give(mapping + at, (nuint)Math.Min(DropStep, mapped - at), MemoryAdvice.DontNeed);
    }
}
