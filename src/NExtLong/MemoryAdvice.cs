using System.Runtime.InteropServices;

namespace NExtLong;

/// <summary>
/// Linux <c>madvise</c>, as advice only: where it is missing (not Linux, or a libc without it) or refused, nothing
/// happens and the caller goes on as if it had not asked.
/// </summary>
internal static unsafe class MemoryAdvice
{
    /// <summary><c>MADV_DONTNEED</c>: drop the range's pages from this mapping (a file's stay in the page cache).</summary>
    public const int DontNeed = 4;

    /// <summary><c>MADV_HUGEPAGE</c>: back the range with transparent huge pages where the kernel offers them.</summary>
    public const int HugePage = 14;

    private static bool s_missing = !OperatingSystem.IsLinux();

    /// <summary>Gives <paramref name="advice"/> for <paramref name="length"/> bytes at <paramref name="address"/> (page-aligned).</summary>
    public static void Give(void* address, nuint length, int advice)
    {
        if (s_missing) return;
        try
        {
            _ = Madvise(address, length, advice);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            s_missing = true;
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(void* address, nuint length, int advice);
}
