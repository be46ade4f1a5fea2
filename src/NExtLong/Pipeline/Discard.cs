namespace NExtLong.Pipeline;

/// <summary>
/// Removes the files of an earlier result that a run replaces, off the run's path. Unlinking a large file frees its
/// page cache in the unlink itself, on the caller's core: replacing a 512 × 64K dataset took 12 ms for its jsonl.zst
/// parts and 35 ms for its MDS shards while the run started, and 33 ms at its very end, where renaming the new Megatron
/// .bin over the old one freed the old (docs/BENCHMARKS.md, session 25). Here each file is renamed at once to a hidden
/// temporary name in its folder (<see cref="IsDiscarded"/>), so its own name is free for the new file and a kill
/// leaves only such a file, which the next run of the folder discards too; the unlinks then run on a thread of their
/// own. <see cref="Wait"/> (or <see cref="Dispose"/>) waits for them.
/// </summary>
internal sealed class Discard : IDisposable
{
    private const string Prefix = ".nextlong-discarded-";
    private const string Suffix = ".tmp";

    private Task _unlinking = Task.CompletedTask;

    /// <summary>Whether <paramref name="name"/> (a file name) is a file a discard renamed and had not yet unlinked.</summary>
    public static bool IsDiscarded(string name) => name.StartsWith(Prefix, StringComparison.Ordinal) && name.EndsWith(Suffix, StringComparison.Ordinal);

    /// <summary>
    /// Renames every file of <paramref name="paths"/> that exists out of the way (a file already renamed by a discard
    /// keeps its name), then unlinks them all on a thread of its own. A rename's failure is thrown here, as a delete's
    /// would be; an unlink's, by <see cref="Wait"/>.
    /// </summary>
    public void Files(IEnumerable<string> paths)
    {
        var renamed = new List<string>();
        try
        {
            foreach (string path in paths)
            {
                if (IsDiscarded(Path.GetFileName(path)))
                {
                    renamed.Add(path);
                    continue;
                }
                if (!File.Exists(path)) continue;
                string away = Path.Combine(Path.GetDirectoryName(path)!, $"{Prefix}{Guid.NewGuid():N}{Suffix}");
                File.Move(path, away);
                renamed.Add(away);
            }
        }
        finally
        {
            // What was renamed before a failure is unlinked all the same.
            Unlink(renamed);
        }
    }

    private void Unlink(List<string> renamed)
    {
        if (renamed.Count == 0) return;
        var before = _unlinking;
        _unlinking = Task.Factory.StartNew(() =>
        {
            // After the batch before, even a failed one, whose failure is thrown once these are unlinked.
            try { before.Wait(); }
            catch (AggregateException) { }
            foreach (string path in renamed) File.Delete(path);
            before.GetAwaiter().GetResult();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Waits until every file given so far is unlinked (or failed to be); throws an unlink's failure.</summary>
    public void Wait() => _unlinking.GetAwaiter().GetResult();

    /// <summary>Waits for the unlinks without throwing: a file left behind keeps its discarded name, which the next run removes.</summary>
    public void Dispose()
    {
        try { _unlinking.Wait(); }
        catch (AggregateException) { }
    }
}
