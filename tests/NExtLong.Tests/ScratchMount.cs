using System.Diagnostics;

namespace NExtLong.Tests;

/// <summary>A small tmpfs mounted for a test (full or read-only disks); unmounted on dispose. Needs root.</summary>
internal sealed class ScratchMount : IDisposable
{
    private ScratchMount(string path) => Path = path;

    public string Path { get; }

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (e.g. "1m"), read-only when asked; null when mounting is not permitted here.</summary>
    public static ScratchMount? TryCreate(string size, bool readOnly = false)
    {
        string dir = TempDir.Create();
        using var mount = Process.Start("mount", ["-t", "tmpfs", "-o", $"{(readOnly ? "ro," : "")}size={size}", "tmpfs", dir])!;
        mount.WaitForExit();
        return mount.ExitCode == 0 ? new ScratchMount(dir) : null;
    }

    public void Dispose()
    {
        using var umount = Process.Start("umount", [Path])!;
        umount.WaitForExit();
    }
}
