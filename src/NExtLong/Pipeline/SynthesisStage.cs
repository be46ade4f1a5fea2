using System.Text.Json;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Output;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

namespace NExtLong.Pipeline;

/// <summary>
/// The `synthesize` stage: index folder + meta-document corpus → OUT_DIR with part-*.jsonl.zst, config.json (the
/// resolved configuration) and stats.json, written last as the mark of a complete dataset.
/// </summary>
public static class SynthesisStage
{
    public sealed record Options
    {
        public required string IndexDir { get; init; }
        public required IReadOnlyList<string> Inputs { get; init; }
        public required string OutDir { get; init; }
        public string Tokenizer { get; init; } = "cl100k_base";
        public string? TextField { get; init; }
        public string? IdField { get; init; }
        public CorpusBadRecordAction OnBadRecord { get; init; } = CorpusBadRecordAction.Fail;
        public bool Overwrite { get; init; }
        public SynthesisOptions Synthesis { get; init; } = new();
        public DatasetOutputOptions Output { get; init; } = new();
    }

    public sealed record Outcome(bool Reused, SynthesisStats? Stats, CorpusReadReport Report);

    public const string ConfigFile = "config.json";
    public const string StatsFile = "stats.json";
    public const string ProgressFile = "progress.json";

    /// <param name="progress">(phase, done, total): phase "select" while meta-documents are read, "synthesize" after.</param>
    public static Outcome Run(Options options, Action<string, long, long?>? progress = null, CancellationToken ct = default)
    {
        var report = new CorpusReadReport();
        using var index = ChunkIndex.Open(options.IndexDir);
        using var embedder = EmbedderFactory.Create(index.Manifest.Embedder);
        var tokenizer = TargetTokenizer.Load(options.Tokenizer);
        var sources = CorpusInputs.Parse(options.Inputs, options.TextField, options.IdField);
        var s = options.Synthesis;
        if (s.NumSamples < 1) throw new ArgumentException("--num-samples must be at least 1");
        var quotas = CorpusMixture.Apportion(sources.Select(x => x.Weight).ToList(), s.NumSamples).Select(q => (int)q).ToList();
        string config = ConfigJson(options, index, tokenizer, sources, quotas);

        string configPath = Path.Combine(options.OutDir, ConfigFile);
        string statsPath = Path.Combine(options.OutDir, StatsFile);
        string progressPath = Path.Combine(options.OutDir, ProgressFile);
        if (File.Exists(statsPath) && File.Exists(configPath) && File.ReadAllText(configPath) == config && !options.Overwrite)
            return new Outcome(true, null, report);
        var resume = PrepareOutDir(options.OutDir, configPath, progressPath, config, options.Overwrite);

        var sampler = new MetaDocumentSampler(s.Seed, quotas);
        var readOptions = new CorpusReadOptions { OnBadRecord = options.OnBadRecord };
        long read = 0;
        for (int i = 0; i < sources.Count; i++)
        {
            foreach (var doc in CorpusReader.Read(sources[i], readOptions, report, ct))
            {
                sampler.Offer(doc, i);
                if (++read % 1000 == 0) progress?.Invoke("select", read, null);
            }
        }
        progress?.Invoke("select", read, read);

        var synthesizer = new Synthesizer(index, embedder, tokenizer, s);
        using var writer = DatasetWriterFactory.Create(options.OutDir, options.Output, tokenizer, s.DocumentsPerPart, config, resume?.Writer);
        var stats = synthesizer.Run(sampler.Candidates(), quotas, writer, resume,
            state => AtomicFile.WriteAllText(progressPath, state.Serialize()),
            (written, tried) => progress?.Invoke("synthesize", written, s.NumSamples), ct);
        var parts = writer.Complete();
        var json = stats.ToJson();
        json["corpus_read"] = ReadReportJson(report);
        json["requested"] = s.NumSamples;
        json["files"] = parts;
        AtomicFile.WriteAllText(statsPath, JsonSerializer.Serialize(json, JsonOptions));
        File.Delete(progressPath);
        return new Outcome(false, stats, report);
    }

    private static Dictionary<string, object> ReadReportJson(CorpusReadReport report) => new()
    {
        ["documents_read"] = report.DocumentsRead,
        ["skipped"] = Enum.GetValues<CorpusSkipReason>().ToDictionary(CorpusReadReport.ReasonName, r => report.Skipped(r)),
        ["first_skips"] = report.FirstSkips.Select(x => $"{x.Location}: {CorpusReadReport.ReasonName(x.Reason)}: {x.Detail}").ToList(),
    };

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    // Everything that decides the output, and nothing that does not (no thread count, no timings), so that the
    // same inputs give a byte-identical folder.
    private static string ConfigJson(Options o, ChunkIndex index, TargetTokenizer tokenizer, IReadOnlyList<CorpusSource> sources, IReadOnlyList<int> quotas)
    {
        var s = o.Synthesis;
        var config = new Dictionary<string, object?>
        {
            ["config_version"] = 1,
            ["method"] = s.Method.ToString().ToLowerInvariant(),
            ["meta_chunk_placement"] = s.Placement.ToString().ToLowerInvariant(),
            ["negative_selection"] = s.Selection.ToString().ToLowerInvariant(),
            ["candidate_pool"] = s.CandidatePool,
            ["target_tokens"] = s.TargetTokens,
            ["tokenizer"] = tokenizer.Name,
            ["bos_id"] = tokenizer.BosId,
            ["eos_id"] = tokenizer.EosId,
            ["num_samples"] = s.NumSamples,
            ["seed"] = s.Seed,
            ["oversampling_w"] = s.Oversampling,
            ["near_duplicate_threshold"] = s.NearDuplicateThreshold,
            ["separator"] = s.Separator,
            ["max_attempts"] = s.MaxAttempts,
            ["encoding_rate_sample_chars"] = s.EncodingRateSampleChars,
            ["documents_per_part"] = s.DocumentsPerPart,
            ["output"] = o.Output.ToConfig(tokenizer, s.TargetTokens),
            ["inputs"] = sources.Select((x, i) => new Dictionary<string, object?>
            {
                ["name"] = x.Name,
                ["weight"] = x.Weight,
                ["quota"] = quotas[i],
                ["text_field"] = x.TextField,
                ["id_field"] = x.IdField,
                ["files"] = CorpusReader.ResolveFiles(x).Select(Path.GetFullPath).ToList(),
            }).ToList(),
            ["index"] = new Dictionary<string, object?>
            {
                ["dir"] = Path.GetFullPath(index.Directory),
                ["spec"] = index.Manifest.IndexSpec,
                ["embedder"] = index.Manifest.Embedder,
                ["dimension"] = index.Manifest.Dimension,
                ["chunk_chars"] = index.Manifest.ChunkChars,
                ["chunking_mode"] = index.Manifest.ChunkingMode,
                ["documents"] = index.Manifest.Documents,
                ["chunks"] = index.Manifest.Chunks,
                ["vectors_checksum"] = index.Manifest.FileChecksums.GetValueOrDefault("vectors.flat"),
            },
        };
        return JsonSerializer.Serialize(config, JsonOptions);
    }

    // An unfinished run of the same configuration resumes from its last checkpoint (files after it are removed);
    // a dataset made another way is only replaced when asked. Other entries (such as `run`'s index) stay.
    private static SynthesisProgress? PrepareOutDir(string dir, string configPath, string progressPath, string config, bool overwrite)
    {
        var ours = Directory.Exists(dir) ? Directory.EnumerateFiles(dir).Where(IsDatasetFile).ToList() : [];
        bool sameConfig = File.Exists(configPath) && File.ReadAllText(configPath) == config;
        if (ours.Count > 0 && !sameConfig && !overwrite)
            throw new IOException($"{dir}: already holds a dataset made with another configuration; pass --overwrite to replace it");
        SynthesisProgress? resume = null;
        if (sameConfig && !overwrite && File.Exists(progressPath))
            resume = SynthesisProgress.Deserialize(File.ReadAllText(progressPath), progressPath);
        var keep = new HashSet<string>(StringComparer.Ordinal) { ConfigFile, ProgressFile };
        if (resume?.Writer is { } checkpoint) keep.UnionWith(checkpoint.Files);
        foreach (var f in ours)
            if (resume is null || !keep.Contains(Path.GetFileName(f)) || f.EndsWith(".tmp", StringComparison.Ordinal))
                File.Delete(f);
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(configPath, config);
        return resume;
    }

    private static bool IsDatasetFile(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith("part-", StringComparison.Ordinal) || name is StatsFile or ConfigFile or ProgressFile || name.EndsWith(".tmp", StringComparison.Ordinal);
    }
}
