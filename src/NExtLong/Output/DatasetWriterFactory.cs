using NExtLong.Output.Megatron;
using NExtLong.Output.Mds;
using NExtLong.Output.Parquet;
using NExtLong.Tokenization;

namespace NExtLong.Output;

/// <summary>
/// Builds the writers of a synthesis run. Each format has its own names in the dataset folder, so any set of
/// formats can be written at once: part-NNNNN.jsonl.zst (jsonl.zst), mds/ (mds), mds-text/ (mds-text),
/// megatron/nextlong_text_document.{bin,idx} (megatron), data/train-*.parquet (parquet). Whatever the formats,
/// the folder also gets the dataset card README.md, LICENSES.tsv when the inputs have one, and train-prolong.sh.
/// </summary>
public static class DatasetWriterFactory
{
    private static readonly (DatasetFormat Format, string Name)[] Names =
    [
        (DatasetFormat.JsonlZst, "jsonl.zst"),
        (DatasetFormat.Mds, "mds"),
        (DatasetFormat.MdsText, "mds-text"),
        (DatasetFormat.Megatron, "megatron"),
        (DatasetFormat.Parquet, "parquet"),
    ];

    /// <summary>The format's name as --format, config.json and the card spell it: "jsonl.zst", "mds", "mds-text", "megatron" or "parquet".</summary>
    public static string FormatName(DatasetFormat format) => Names.First(n => n.Format == format).Name;

    /// <summary>Parses format names, each value possibly a comma-separated list ("mds,parquet").</summary>
    public static IReadOnlyList<DatasetFormat> ParseFormats(IEnumerable<string> values)
    {
        var formats = new List<DatasetFormat>();
        foreach (string name in values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            int i = Array.FindIndex(Names, n => n.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (i < 0)
                throw new ArgumentException($"--format: unknown format \"{name}\"; use {string.Join(", ", Names.Select(n => n.Name))}");
            formats.Add(Names[i].Format);
        }
        return formats;
    }

    /// <summary>
    /// At most this many zstd threads for the jsonl.zst parts: each holds a job of a few MB in and out, so the cap bounds
    /// that memory on a many-core node. Whether four keep up with many workers is not measured: session 22's test of
    /// four against two ran while the writer still flushed zstd at every document, which kept the jobs from overlapping.
    /// </summary>
    private const int MaxCompressionThreads = 4;

    /// <summary>
    /// The writers for <paramref name="output"/>'s formats in <paramref name="datasetDir"/>, as one writer.
    /// Files an earlier run left for formats not written now are removed, so a folder never mixes two runs.
    /// </summary>
    /// <param name="datasetDir">The dataset folder, already claimed by the caller.</param>
    /// <param name="output">The formats and their settings (MDS, Megatron, special tokens).</param>
    /// <param name="tokenizer">The target tokenizer the documents were cut with: it resolves BOS/EOS and the Megatron id mapping.</param>
    /// <param name="documentsPerPart">Documents per jsonl.zst part file.</param>
    /// <param name="configJson">The run's config.json, for the dataset card.</param>
    /// <param name="inputFiles">Input files on this machine, where the card looks for the sources' LICENSES.tsv.</param>
    /// <param name="resume">The writer's last checkpoint when an interrupted run continues; null for a new dataset.</param>
    /// <param name="threads">The run's threads: what the jsonl.zst parts are compressed on (the bytes do not depend on it).</param>
    public static IDatasetWriter Create(string datasetDir, DatasetOutputOptions output, TargetTokenizer tokenizer, int documentsPerPart,
        string configJson, IReadOnlyList<string> inputFiles, WriterCheckpoint? resume = null, int threads = 1)
    {
        var formats = output.Formats;
        RemoveUnwritten(datasetDir, formats);
        bool tokenized = output.Tokenized;
        int count = (formats.Contains(DatasetFormat.JsonlZst) ? 1 : 0) + (tokenized ? 1 : 0)
            + (formats.Contains(DatasetFormat.MdsText) ? 1 : 0) + (formats.Contains(DatasetFormat.Parquet) ? 1 : 0) + 1;
        var states = WriterCheckpoints.Split(resume, count);
        int next = 0;
        WriterCheckpoint? Resume() => states?[next++];

        var writers = new List<IDatasetWriter>();
        try
        {
            if (formats.Contains(DatasetFormat.JsonlZst))
                writers.Add(new JsonlZstDatasetWriter(datasetDir, documentsPerPart, resume: Resume(), compressionThreads: Math.Clamp(threads, 1, MaxCompressionThreads)));
            var specials = tokenized ? output.SpecialTokens(tokenizer) : SpecialTokenPolicy.None;
            if (tokenized)
            {
                bool mds = formats.Contains(DatasetFormat.Mds), megatron = formats.Contains(DatasetFormat.Megatron);
                var sinkStates = WriterCheckpoints.Split(Resume(), (mds ? 1 : 0) + (megatron ? 1 : 0));
                int sink = 0;
                var sinks = new List<ITokenSequenceWriter>();
                writers.Add(new TokenizingDatasetWriter(specials, sinks));
                if (mds)
                    sinks.Add(new ProLongMdsWriter(datasetDir, output.Mds, sinkStates?[sink++].State));
                if (megatron)
                    sinks.Add(MegatronDatasetWriter.InDataset(datasetDir, output.MegatronIds(tokenizer), sinkStates?[sink++].State));
            }
            if (formats.Contains(DatasetFormat.MdsText))
                writers.Add(new TextMdsWriter(datasetDir, output.Mds, Resume()?.State));
            if (formats.Contains(DatasetFormat.Parquet))
                writers.Add(new ParquetDatasetWriter(datasetDir, Resume()?.State));
            writers.Add(new SynthesisCardWriter(datasetDir, output, specials, configJson, inputFiles, Resume()?.State));
        }
        catch
        {
            foreach (var w in writers) w.Dispose();
            throw;
        }
        return new CompositeDatasetWriter(writers);
    }

    /// <summary>
    /// The files by which each format's loader takes its data for whole (MDS index.json files, Megatron's .idx), as
    /// they exist in <paramref name="datasetDir"/>: withdrawn with stats.json before a run replaces the dataset.
    /// </summary>
    public static IEnumerable<string> FormatIndexes(string datasetDir)
    {
        foreach (string folder in new[] { ProLongMdsWriter.Folder, TextMdsWriter.Folder }.Select(f => Path.Combine(datasetDir, f)))
        {
            if (!Directory.Exists(folder)) continue;
            // The root's index.json lists the domains; each domain has its own.
            string root = Path.Combine(folder, MdsIndex.FileName);
            if (File.Exists(root)) yield return root;
            foreach (string domain in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
                if (Path.Combine(domain, MdsIndex.FileName) is var index && File.Exists(index)) yield return index;
        }
        string idx = Path.Combine(datasetDir, MegatronDatasetWriter.Folder, MegatronDatasetWriter.Prefix + ".idx");
        if (File.Exists(idx)) yield return idx;
    }

    /// <summary>
    /// What a run replaces in <paramref name="datasetDir"/>'s format folders: files a <see cref="Pipeline.Discard"/> left
    /// there and, for a new dataset (<paramref name="newDataset"/>), every file an earlier one's formats hold (MDS shards
    /// and indexes of every domain, the Megatron .bin and .idx, Parquet files, with their temporary files). The jsonl.zst
    /// parts, in the dataset folder itself, are not listed.
    /// </summary>
    public static IEnumerable<string> Replaced(string datasetDir, bool newDataset)
    {
        var mds = new[] { ProLongMdsWriter.Folder, TextMdsWriter.Folder }.Select(f => Path.Combine(datasetDir, f)).Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateDirectories(f).Order(StringComparer.Ordinal).Prepend(f));
        return [.. mds.SelectMany(dir => In(dir, MdsWriter.Holds)),
            .. In(Path.Combine(datasetDir, MegatronDatasetWriter.Folder), name => name.StartsWith(MegatronDatasetWriter.Prefix + ".", StringComparison.Ordinal)),
            .. In(Path.Combine(datasetDir, ParquetDatasetWriter.Folder), ParquetDatasetWriter.Holds)];

        IEnumerable<string> In(string dir, Func<string, bool> written) => Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir).Where(f => Path.GetFileName(f) is var name && ((newDataset && written(name)) || Pipeline.Discard.IsDiscarded(name))).Order(StringComparer.Ordinal)
            : [];
    }

    private static void RemoveUnwritten(string datasetDir, IReadOnlyList<DatasetFormat> formats)
    {
        if (!formats.Contains(DatasetFormat.Mds))
            MdsDomainWriter.RemoveDatasets(Path.Combine(datasetDir, ProLongMdsWriter.Folder));
        if (!formats.Contains(DatasetFormat.MdsText))
            MdsDomainWriter.RemoveDatasets(Path.Combine(datasetDir, TextMdsWriter.Folder));
        if (!formats.Contains(DatasetFormat.Megatron) && Directory.Exists(Path.Combine(datasetDir, MegatronDatasetWriter.Folder)))
        {
            string prefix = Path.Combine(datasetDir, MegatronDatasetWriter.Folder, MegatronDatasetWriter.Prefix);
            File.Delete(prefix + ".bin");
            File.Delete(prefix + ".idx");
        }
        if (!formats.Contains(DatasetFormat.Parquet))
            ParquetDatasetWriter.RemoveDataset(datasetDir);
    }
}
