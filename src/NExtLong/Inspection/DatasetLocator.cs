using NExtLong.Output;
using NExtLong.Output.Megatron;
using NExtLong.Output.Mds;
using NExtLong.Output.Parquet;

namespace NExtLong.Inspection;

/// <summary>
/// What `inspect` and `verify` accept as PATH: a dataset folder (every format in it), an MDS folder or its
/// index.json, a Megatron prefix, its .idx/.bin or a folder of them, Parquet files or a folder of them, or .jsonl.zst files.
/// </summary>
internal static class DatasetLocator
{
    public const string Mds = "mds", Megatron = "megatron", Parquet = "parquet", JsonLines = "jsonl";

    /// <summary>(kind, path) of every dataset at <paramref name="path"/>; throws when there is none.</summary>
    public static List<(string Kind, string Path)> FindOrThrow(string path)
    {
        var found = Find(path);
        if (found.Count > 0)
            return found;
        if (!File.Exists(path) && !Directory.Exists(path) && !File.Exists(path + ".idx"))
            throw new FileNotFoundException($"{path}: no such file or folder", path);
        throw new InvalidDataException($"{path}: no dataset nextlong can read here (a dataset folder, an MDS folder with index.json, "
            + "a Megatron prefix, .idx/.bin or a folder of them, .parquet files, or part-*.jsonl.zst files)");
    }

    /// <summary>(kind, path) of every dataset at <paramref name="path"/>; several for a dataset folder written in several formats.</summary>
    private static List<(string Kind, string Path)> Find(string path)
    {
        var found = new List<(string, string)>();
        if (File.Exists(path))
        {
            string name = System.IO.Path.GetFileName(path);
            if (name.EndsWith(".idx", StringComparison.Ordinal) || name.EndsWith(".bin", StringComparison.Ordinal)) found.Add((Megatron, path[..^4]));
            else if (name.EndsWith(".parquet", StringComparison.Ordinal)) found.Add((Parquet, path));
            else if (name == MdsIndex.FileName) found.Add((Mds, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!));
            else if (name.EndsWith(".jsonl.zst", StringComparison.Ordinal) || name.EndsWith(".jsonl", StringComparison.Ordinal)) found.Add((JsonLines, path));
            return found;
        }
        if (MegatronDataset.Exists(path))
        {
            found.Add((Megatron, path));
            return found;
        }
        if (!Directory.Exists(path))
            return found;
        if (MdsDataset.IsDataset(path)) found.Add((Mds, path));
        if (Directory.EnumerateFiles(path, "*.jsonl.zst").Any()) found.Add((JsonLines, path));
        if (Directory.EnumerateFiles(path, "*.parquet").Any()) found.Add((Parquet, path));
        // A folder of Megatron files (the "megatron" folder of a dataset): each PREFIX.idx with its PREFIX.bin.
        foreach (string idx in Directory.EnumerateFiles(path, "*.idx").Order(StringComparer.Ordinal))
        {
            if (MegatronDataset.Exists(idx[..^4])) found.Add((Megatron, idx[..^4]));
        }
        foreach (string folder in new[] { ProLongMdsWriter.Folder, TextMdsWriter.Folder })
        {
            if (MdsDataset.IsDataset(System.IO.Path.Combine(path, folder))) found.Add((Mds, System.IO.Path.Combine(path, folder)));
        }
        string prefix = System.IO.Path.Combine(path, MegatronDatasetWriter.Folder, MegatronDatasetWriter.Prefix);
        if (MegatronDataset.Exists(prefix)) found.Add((Megatron, prefix));
        string data = System.IO.Path.Combine(path, ParquetDatasetWriter.Folder);
        if (Directory.Exists(data) && Directory.EnumerateFiles(data, "*.parquet").Any())
            found.Add((Parquet, data));
        return found;
    }

    /// <summary>
    /// The files of a JSON lines or Parquet dataset: the file itself, or the folder's, in name order (in a dedup output,
    /// the kept records, not the list of duplicates).
    /// </summary>
    public static List<string> Files(string path, string pattern) =>
        File.Exists(path) ? [path] : [.. Directory.GetFiles(path, pattern).Where(f => System.IO.Path.GetFileName(f) != Dedup.DedupStage.DuplicatesFile).Order(StringComparer.Ordinal)];
}
