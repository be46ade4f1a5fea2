using NExtLong.Pipeline;

[assembly: AssemblyFixture(typeof(NExtLong.Tests.TempDirCleanup))]

namespace NExtLong.Tests;

/// <summary>
/// Test folders, all under one folder per test run that the run deletes when it ends. A run holds a lock on its
/// folder while it lives, so a later run can tell the leftovers of a killed run (no holder) from a run going on beside
/// it (held, whichever PID namespace it runs in) and deletes only the former.
/// </summary>
internal static class TempDir
{
    private static readonly string Parent = Path.Combine(Path.GetTempPath(), "nextlong-tests");
    private static readonly string RunRoot;
    private static readonly FolderLock RunLock;

    static TempDir()
    {
        Directory.CreateDirectory(Parent);
        DeleteDeadRuns();
        string run = "run-" + Guid.NewGuid().ToString("N");
        // The lock first, then the folder: a folder never exists without its lock held.
        RunLock = FolderLock.Acquire(Path.Combine(Parent, run + ".lock"), exclusive: true, "test run folder")!;
        RunRoot = Path.Combine(Parent, run);
        Directory.CreateDirectory(RunRoot);
    }

    public static string Create()
    {
        string dir = Path.Combine(RunRoot, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Deletes this run's folder and lock; called once, when the last test has run.</summary>
    public static void DeleteRun()
    {
        Delete(RunRoot);
        File.Delete(RunRoot + ".lock");
        RunLock.Dispose();
    }

    /// <summary>Folders of earlier runs whose lock nobody holds: runs killed before they could delete their own.</summary>
    private static void DeleteDeadRuns()
    {
        foreach (string lockPath in Directory.EnumerateFiles(Parent, "run-*.lock"))
        {
            // A lock file younger than a minute may belong to a run between creating and locking it.
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(lockPath) < TimeSpan.FromMinutes(1)) continue;
            FolderLock? held;
            try
            {
                held = FolderLock.Acquire(lockPath, exclusive: true, "test run folder", readOnly: true);
            }
            catch (IOException)
            {
                continue; // a live run
            }
            if (held is null) continue;
            using (held)
            {
                Delete(lockPath[..^".lock".Length]);
                File.Delete(lockPath);
            }
        }
    }

    private static void Delete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A test left something undeletable (a mount it did not unmount): say so rather than fail the run.
            Console.Error.WriteLine($"nextlong tests: could not delete {dir}: {e.Message}");
        }
    }
}

/// <summary>Deletes the test run's folder after the last test (an assembly fixture is disposed after every test and class fixture).</summary>
public sealed class TempDirCleanup : IDisposable
{
    public void Dispose() => TempDir.DeleteRun();
}
