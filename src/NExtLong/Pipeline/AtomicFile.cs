namespace NExtLong.Pipeline;

/// <summary>Writes a whole file under a temporary name and renames it, so readers see the old file or the new one, never half of it.</summary>
internal static class AtomicFile
{
    [ThreadStatic] private static List<(string Temp, string Path)>? t_deferred;

    /// <param name="path">The file.</param>
    /// <param name="contents">Its text.</param>
    /// <param name="executable">Made executable before it appears (a script).</param>
    public static void WriteAllText(string path, string contents, bool executable = false)
    {
        // A temporary name of its own: ranks on several nodes may write the same file (a work folder's plan) at once.
        string temp = $"{path}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, contents);
        if (executable && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(temp, File.GetUnixFileMode(temp) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        if (t_deferred is { } deferred) deferred.Add((temp, path));
        else File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// Holds back the renames of what this thread writes until <see cref="Publication.Commit"/>, so a set of files that
    /// marks a dataset done (MDS index, card, recipe) appears in a few renames, not while the slow ones are being made:
    /// a kill in between leaves temporary files, never half the set.
    /// </summary>
    public static Publication Defer()
    {
        if (t_deferred is not null) throw new InvalidOperationException("renames are already deferred on this thread");
        t_deferred = [];
        return new Publication();
    }

    /// <summary>The renames held back by <see cref="Defer"/>; disposing without a commit leaves only temporary files.</summary>
    public sealed class Publication : IDisposable
    {
        /// <summary>Makes the held-back files appear, in the order written, except that those whose name <paramref name="last"/> picks come after all the others.</summary>
        public void Commit(Func<string, bool>? last = null)
        {
            var renames = t_deferred ?? throw new InvalidOperationException("nothing deferred");
            t_deferred = null;
            // A stable sort: within each group the order written.
            foreach (var (temp, path) in renames.OrderBy(r => last?.Invoke(Path.GetFileName(r.Path)) == true))
                File.Move(temp, path, overwrite: true);
        }

        public void Dispose() => t_deferred = null;
    }
}
