using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace NExtLong.Output;

/// <summary>
/// Starts the disk write of a file's bytes a few MiB behind the writer (Linux <c>sync_file_range</c> with
/// <c>SYNC_FILE_RANGE_WRITE</c>, which queues the write and returns), instead of leaving them dirty in the page cache
/// until the fsync that makes a part, a shard or a checkpoint durable. That fsync then waits only for the last few MiB
/// and the metadata, and the disk works while the run does: at the end of a synthesis of 128 × 64K tokens, the three
/// formats' fsyncs were ~60 ms of both cores idle in a run of one second (docs/BENCHMARKS.md, session 24).
/// </summary>
/// <remarks>
/// Advice only, like <c>madvise</c>: it never makes anything durable (the fsync still does that), and where it is
/// missing (not Linux) or refused (a file system without it) nothing happens.
/// </remarks>
internal sealed class EarlyWriteback
{
    /// <summary>Bytes written between two starts: the calls cost nothing at this size, and an fsync is left at most this much.</summary>
    internal const long Step = 8 << 20;

    private const uint SyncFileRangeWrite = 2;
    private static bool s_missing = !OperatingSystem.IsLinux();

    private readonly FileStream _file;

    /// <summary>Where the bytes not yet started begin.</summary>
    private long _next;

    /// <param name="file">A file written front to back from its current position (a resumed file continues after what it holds).</param>
    public EarlyWriteback(FileStream file)
    {
        _file = file;
        _next = file.Position;
    }

    /// <summary>Bytes whose write was started and accepted by the kernel: what the tests check.</summary>
    internal long Started { get; private set; }

    /// <summary>
    /// Call after writing: once <see cref="Step"/> bytes have been written since the last start, hands the stream's
    /// buffer to the page cache and starts the write of those bytes.
    /// </summary>
    public void Written()
    {
        long end = _file.Position;
        if (end - _next < Step) return;
        _file.Flush();
        if (Start(_file.SafeFileHandle, _next, end - _next))
            Started += end - _next;
        _next = end;
    }

    /// <summary>Starts the write of <paramref name="count"/> bytes at <paramref name="offset"/>, already in the page cache; whether the kernel took it.</summary>
    private static bool Start(SafeFileHandle file, long offset, long count)
    {
        if (s_missing || count <= 0) return false;
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return SyncFileRange((int)file.DangerousGetHandle(), offset, count, SyncFileRangeWrite) == 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_missing = true;
            return false;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    [DllImport("libc", EntryPoint = "sync_file_range")]
    private static extern int SyncFileRange(int fd, long offset, long count, uint flags);
}
