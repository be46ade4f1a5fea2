using System.Text.Json;

namespace NExtLong.Pipeline;

/// <summary>What a folder made by nextlong holds; each kind owns its own file names and nothing else.</summary>
public enum OutputKind
{
    /// <summary>`nextlong index`: a chunk index (chunk and document tables, vectors, lexical.bm25, manifest.json).</summary>
    Index,

    /// <summary>`synthesize` or `run`: a synthesized dataset in its formats, with config.json, stats.json, card and recipe.</summary>
    Dataset,

    /// <summary>`nextlong embed`: vectors.flat, its manifest.json and the embedding cache.</summary>
    Embeddings,

    /// <summary>`nextlong pack`: one MDS dataset of packed sequences, with config.json, card and recipe.</summary>
    Packed,

    /// <summary>`nextlong mix`: one MDS dataset mixed from others by ratio, with config.json, card and recipe.</summary>
    Mixed,
    /// <summary>`nextlong chunks`: chunk shards for embedding elsewhere.</summary>
    Chunks,
    /// <summary>`dedup`'s output: the kept records, the duplicates list, stats.</summary>
    Dedup,
    /// <summary>OUT.work: the ranks' units, stats and completion markers.</summary>
    Work,
    /// <summary>OUT.partial: a build in progress, wholly nextlong's.</summary>
    Scratch,
}

/// <summary>
/// The one owner of output folders. A folder nextlong writes carries a marker file, <c>.nextlong</c>, naming its
/// kind; the marker is also the folder's lock (an OS lock the kernel drops when the process dies). The rules,
/// for every command: a missing or empty folder is created and claimed; a folder of another kind is refused; a
/// non-empty folder nextlong did not make is refused unless --overwrite, and then nextlong writes beside its
/// files and never removes or replaces one of them; only names the kind owns are ever deleted; a second process
/// is refused while the first holds the lock (ranks of one distributed step share it).
/// </summary>
public sealed class OutputFolder : IDisposable
{
    /// <summary>The marker file, <c>{"made_by": "nextlong", "kind": …}</c>, that says nextlong made the folder; also its lock.</summary>
    public const string MarkerFile = ".nextlong";

    private readonly FolderLock _lock;

    private readonly bool _created;

    private OutputFolder(string path, OutputKind kind, FolderLock @lock, bool created)
    {
        Path = path;
        Kind = kind;
        _lock = @lock;
        _created = created;
    }

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    /// <summary>What the folder holds; decides which names <see cref="Owns"/> lets nextlong remove.</summary>
    public OutputKind Kind { get; }

    /// <summary>
    /// Creates or takes over <paramref name="path"/> as a folder of <paramref name="kind"/> and locks it, before any
    /// work starts. <paramref name="shared"/>: a lock other shared holders may hold too (ranks); otherwise exclusive.
    /// </summary>
    public static OutputFolder Claim(string path, OutputKind kind, bool overwrite = false, bool shared = false)
    {
        string full = FullPath(path);
        if (File.Exists(full)) throw new IOException($"{path}: is a file; this needs a folder");
        string marker = System.IO.Path.Combine(full, MarkerFile);
        bool created = !Directory.Exists(full);
        if (!created && !File.Exists(marker)) RequireAdoptable(path, full, kind, overwrite);
        Directory.CreateDirectory(full);
        var held = FolderLock.Acquire(marker, exclusive: !shared, what: path)!;
        try
        {
            string content = ReadMarker(held);
            if (content.Length == 0) held.WriteAll(MarkerJson(kind));
            else if (KindOf(content, marker) is var found && found != kind)
                throw new IOException($"{path}: holds a nextlong {Describe(found)}, not {WithArticle(Describe(kind))}; use another folder");
            return new OutputFolder(full, kind, held, created);
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Claims the scratch folder a build writes before it is complete; what an earlier, interrupted build left there
    /// is cleared (it is all nextlong's). A folder of that name that nextlong did not make is refused, never cleared.
    /// </summary>
    public static OutputFolder ClaimScratch(string path)
    {
        string full = FullPath(path);
        bool ours = File.Exists(System.IO.Path.Combine(full, MarkerFile));
        var folder = Claim(path, OutputKind.Scratch);
        if (ours)
        {
            foreach (string entry in Directory.EnumerateFileSystemEntries(full))
            {
                if (System.IO.Path.GetFileName(entry) == MarkerFile) continue;
                if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
        }
        return folder;
    }

    /// <summary>Takes a shared lock on a folder nextlong made, to read it while no one replaces it; null when it has no marker or is read-only.</summary>
    public static FolderLock? LockForReading(string path)
        => FolderLock.Acquire(System.IO.Path.Combine(FullPath(path), MarkerFile), exclusive: false, what: path, readOnly: true);

    /// <summary>True when nextlong made the folder (it carries the marker).</summary>
    public static bool IsNextLongFolder(string path) => File.Exists(System.IO.Path.Combine(path, MarkerFile));

    /// <summary>Whether <paramref name="name"/>, an entry of a folder of <paramref name="kind"/>, is one nextlong writes there.</summary>
    public static bool Owns(OutputKind kind, string name)
    {
        if (name == MarkerFile || name.EndsWith(".tmp", StringComparison.Ordinal)) return true;
        return kind switch
        {
            OutputKind.Index => name == Index.ChunkIndexFiles.Manifest || Index.ChunkIndexFiles.PayloadFiles.Contains(name) || Index.ChunkTokenCache.IsCacheFile(name),
            OutputKind.Dataset => name.StartsWith("part-", StringComparison.Ordinal) || name.EndsWith(".partial", StringComparison.Ordinal)
                || IsRecipe(name)
                || name is "config.json" or "stats.json" or "progress.json" or "failed.json" or "README.md" or "LICENSES.tsv" or "report.html"
                    or "mds" or "mds-text" or "megatron" or "data" or "index" or "index.work" or "index.partial" or "dedup" or "dedup.work",
            OutputKind.Embeddings => name is "vectors.flat" or "manifest.json" or "cache",
            // Shards are SOURCE-NNNNN.jsonl.zst; duplicates.jsonl.zst ends the same way.
            OutputKind.Dedup => name.EndsWith(".jsonl.zst", StringComparison.Ordinal) || name is "config.json" or "stats.json" or "LICENSES.tsv",
            OutputKind.Packed or OutputKind.Mixed => name.StartsWith("shard.", StringComparison.Ordinal)
                || IsRecipe(name)
                || name is "index.json" or "config.json" or "README.md" or "LICENSES.tsv",
            OutputKind.Chunks => name == "manifest.json" || ChunksStage.IsShard(name),
            OutputKind.Work => name is "plan.json" or "units" or "stats" or "completions" or "locks" or "stats.json",
            _ => true,
        };
    }

    /// <summary>Deletes an entry of this folder, refusing any name its kind does not own.</summary>
    public void Remove(string name)
    {
        if (!Owns(Kind, name)) throw new InvalidOperationException($"{Path}: {name} is not nextlong's to remove");
        string entry = System.IO.Path.Combine(Path, name);
        if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
        else File.Delete(entry);
    }

    /// <summary>
    /// Before new contents replace this folder's: removes what says it holds a complete result. First what describes
    /// it (card, licence table, training recipes, report), then the completion mark (stats.json, or an MDS dataset's
    /// index.json), then a dataset's format indexes (MDS index.json files, Megatron's .idx). Publishing adds them in
    /// the reverse order (<see cref="AtomicFile.Publication.Commit"/>), so a kill at any moment leaves no card without
    /// its mark and no mark without its indexes: at worst a complete dataset without its card (which a rerun writes
    /// again), or an earlier run's indexes without their mark. A dedup output's licence table goes after its mark.
    /// </summary>
    public void Withdraw()
    {
        foreach (string entry in Withdrawal()) File.Delete(entry);
    }

    /// <summary>What <see cref="Withdraw"/> removes, in its order; all listed before the first removal, so the removals follow one another with no directory walk between them.</summary>
    internal List<string> Withdrawal()
    {
        var described = Directory.EnumerateFiles(Path).Where(entry => System.IO.Path.GetFileName(entry) is var name && DescribesResult(name) && Owns(Kind, name))
            .Order(StringComparer.Ordinal).ToList();
        var marks = CompletionMark(Kind) is { } mark && File.Exists(System.IO.Path.Combine(Path, mark)) ? [System.IO.Path.Combine(Path, mark)] : new List<string>();
        // A dedup output's licence table is part of what its mark vouches for (a dataset made from it names the
        // licences): it goes after the mark, as it was written before it.
        if (Kind == OutputKind.Dedup) return [.. marks, .. described];
        // A loader reads a format's folder without looking at stats.json: its index goes too, before any slow start.
        return [.. described, .. marks, .. Kind == OutputKind.Dataset ? Output.DatasetWriterFactory.FormatIndexes(Path) : []];
    }

    private static string? CompletionMark(OutputKind kind) => kind switch
    {
        OutputKind.Dataset or OutputKind.Dedup => "stats.json",
        OutputKind.Packed or OutputKind.Mixed => "index.json",
        _ => null,
    };

    /// <summary>Whether a file of that name describes a result (card, licence table, recipe, report) rather than being it or marking it complete.</summary>
    internal static bool DescribesResult(string name) => name is "README.md" or "LICENSES.tsv" or "report.html" || IsRecipe(name);

    // A training recipe beside a dataset (train-prolong.sh, …).
    private static bool IsRecipe(string name) => name.StartsWith("train-", StringComparison.Ordinal) && name.EndsWith(".sh", StringComparison.Ordinal);

    /// <summary>Releases the lock; a folder this claim created and nothing was written to is removed again, leaving no trace of a failed start.</summary>
    public void Dispose()
    {
        // Only a holder alone may remove it: ranks share the folder, and another may be about to write into it.
        bool untouched = _created && Directory.EnumerateFileSystemEntries(Path).All(e => System.IO.Path.GetFileName(e) == MarkerFile)
            && _lock.TryMakeExclusive();
        if (untouched) File.Delete(System.IO.Path.Combine(Path, MarkerFile));
        _lock.Dispose();
        if (untouched)
        {
            try
            {
                Directory.Delete(Path);
            }
            catch (IOException)
            {
                // Someone wrote into it meanwhile: it stays.
            }
        }
    }

    private static string FullPath(string path) => System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));

    // A folder without the marker is empty or the user's, whatever it holds: an MDS folder of streaming's MDSWriter, a
    // lone stats.json or config.json carry the names nextlong writes but nothing proves nextlong wrote them. The
    // user's needs --overwrite, and even then none of its names may clash.
    private static void RequireAdoptable(string path, string full, OutputKind kind, bool overwrite)
    {
        var entries = Directory.EnumerateFileSystemEntries(full)
            .Where(e => !IsNextLongFolder(e))
            .Select(e => System.IO.Path.GetFileName(e)!)
            .Order(StringComparer.Ordinal)
            .ToList();
        // A marker made since the caller looked: another nextlong process claimed the folder meanwhile (ranks start
        // together); the claim then checks its kind under the lock.
        if (entries.Count == 0 || entries.Contains(MarkerFile)) return;
        if (!overwrite)
            throw new IOException($"{path}: is not empty and was not made by nextlong (it holds {string.Join(", ", entries.Take(4))}{(entries.Count > 4 ? ", …" : "")}); "
                + "use a new or empty folder, or pass --overwrite to write beside those files (nextlong never removes them)");
        string? clash = entries.FirstOrDefault(e => Owns(kind, e));
        if (clash is not null)
            throw new IOException($"{System.IO.Path.Combine(path, clash)}: was not made by nextlong, and {WithArticle(Describe(kind))} writes that name; move it away or use another folder");
    }

    // The marker's first holder writes it just after creating it; a process claiming at that moment (ranks start
    // together) may read it empty (and writes the same bytes) or half-written, which a moment later is whole.
    private static string ReadMarker(FolderLock held)
    {
        string content = held.ReadAll();
        for (int attempt = 0; attempt < 20 && content.Length > 0 && !content.EndsWith('\n'); attempt++)
        {
            Thread.Sleep(10);
            content = held.ReadAll();
        }
        return content;
    }

    private static string MarkerJson(OutputKind kind) => $"{{\"made_by\": \"nextlong\", \"kind\": \"{Name(kind)}\"}}\n";

    private static string Name(OutputKind kind) => kind.ToString().ToLowerInvariant();

    private static OutputKind KindOf(string json, string marker)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            string? name = doc.RootElement.GetProperty("kind").GetString();
            if (Enum.TryParse<OutputKind>(name, ignoreCase: true, out var kind)) return kind;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
        }
        throw new InvalidDataException($"{marker}: not a nextlong folder marker; remove it only if you know what made this folder");
    }

    private static string WithArticle(string noun) => ("aeiou".Contains(noun[0]) ? "an " : "a ") + noun;

    private static string Describe(OutputKind kind) => kind switch
    {
        OutputKind.Index => "index",
        OutputKind.Dataset => "dataset",
        OutputKind.Embeddings => "embeddings folder",
        OutputKind.Packed => "packed MDS dataset",
        OutputKind.Mixed => "mixed MDS dataset",
        OutputKind.Chunks => "chunks folder",
        OutputKind.Dedup => "dedup output",
        OutputKind.Work => "work folder of a distributed run",
        _ => "unfinished build",
    };
}
