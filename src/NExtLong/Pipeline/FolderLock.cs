using System.Runtime.InteropServices;

namespace NExtLong.Pipeline;

/// <summary>
/// An advisory OS lock (flock) on a file, held while this object lives. The kernel drops it when the process
/// ends however it ends, SIGKILL included, so a killed run never leaves a folder locked. Shared locks let the
/// ranks of one distributed step run side by side; an exclusive lock keeps everyone else out.
/// </summary>
public sealed class FolderLock : IDisposable
{
    private const int LockShared = 1, LockExclusive = 2, NonBlocking = 4;
    private const int WouldBlock = 11; // EWOULDBLOCK on Linux

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(int fd, int operation);

    private readonly FileStream _file;

    private FolderLock(FileStream file) => _file = file;

    /// <summary>Takes the lock on <paramref name="path"/> (created if missing), or throws naming <paramref name="what"/> when another process holds it.</summary>
    /// <param name="path">The file to lock, normally a folder's <c>.nextlong</c> marker.</param>
    /// <param name="exclusive">An exclusive lock (a local run or a merge); otherwise shared (the ranks of one step).</param>
    /// <param name="what">Names the folder in the error message.</param>
    /// <param name="readOnly">Open without write access (a lock on a folder that may be read-only); a missing file then means no lock.</param>
    /// <returns>The held lock; null only when <paramref name="readOnly"/> and the file is missing or unreadable.</returns>
    /// <exception cref="IOException">Another process holds the lock, or it cannot be taken.</exception>
    public static FolderLock? Acquire(string path, bool exclusive, string what, bool readOnly = false)
    {
        FileStream file;
        try
        {
            file = readOnly
                ? new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete)
                : new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (readOnly && e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException) when (readOnly)
        {
            return null;
        }
        catch (IOException e) when (IsHeld(e))
        {
            throw InUse(what);
        }
        if (!OperatingSystem.IsWindows())
        {
            int fd = (int)file.SafeFileHandle.DangerousGetHandle();
            if (Flock(fd, (exclusive ? LockExclusive : LockShared) | NonBlocking) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                file.Dispose();
                if (errno == WouldBlock) throw InUse(what);
                throw new IOException($"{what}: cannot lock {path} (errno {errno})");
            }
        }
        return new FolderLock(file);
    }

    // .NET itself takes a non-blocking flock when it opens a file; a lock held elsewhere then fails the open.
    private static bool IsHeld(IOException e) => e.HResult == 11 || e.Message.Contains("being used by another process", StringComparison.Ordinal);

    private static IOException InUse(string what)
        => new($"{what}: in use by another nextlong process; wait for it to finish or stop it (a stopped or killed process releases it)");

    /// <summary>The locked file's content (read through the lock's own handle: a second handle would contend for the lock).</summary>
    public string ReadAll()
    {
        // To the end as it is now: another holder may be writing it (its length can change under us).
        _file.Position = 0;
        using var content = new MemoryStream();
        _file.CopyTo(content);
        return System.Text.Encoding.UTF8.GetString(content.GetBuffer(), 0, (int)content.Length);
    }

    /// <summary>Replaces the locked file's content.</summary>
    public void WriteAll(string content)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        _file.Position = 0;
        _file.SetLength(0);
        _file.Write(bytes);
        _file.Flush(flushToDisk: true);
    }

    /// <summary>Turns a shared lock exclusive if no other process holds the file; true when it did (or already was).</summary>
    public bool TryMakeExclusive()
        => OperatingSystem.IsWindows() || Flock((int)_file.SafeFileHandle.DangerousGetHandle(), LockExclusive | NonBlocking) == 0;

    /// <summary>Releases the lock by closing the file.</summary>
    public void Dispose() => _file.Dispose();
}
