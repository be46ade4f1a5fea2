using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Index;
using NExtLong.Output;
using NExtLong.Pipeline;

namespace NExtLong.Dedup;

/// <summary>
/// The `dedup` stage: corpus files → OUT with the kept documents, every input record verbatim (a Parquet row as a
/// JSON object), one shard per input file (SOURCE-NNNNN.jsonl.zst, NNNNN the file's place in its source, so shard
/// boundaries never depend on the rank count), duplicates.jsonl.zst (each removed document, the copy kept for it,
/// exact or near, estimated and exact Jaccard) and stats.json, written last as the mark of a complete output.
/// Its work units are the input files: a unit reads its file once and keeps per document only an exact key and, for
/// MinHash, 14 band keys (<see cref="DedupUnitFile"/>). The merge joins documents with equal keys band by band in a
/// <see cref="UnionFind"/> (the first in input order is kept), then reads the inputs a second time to write the kept
/// records. Unit outputs depend only on their files and the merge reads them in unit order, so the bytes are the same
/// for any W, locally or as ranks.
/// </summary>
public static class DedupStage
{
    /// <summary>The resolved configuration, inputs by content; a rerun with an equal one reuses the output.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>What was kept and removed (<see cref="DedupStats"/>); written last, it marks the output complete.</summary>
    public const string StatsFile = "stats.json";
    /// <summary>One line per removed document: its id, the copy kept for it, exact or near, estimated and exact Jaccard.</summary>
    public const string DuplicatesFile = "duplicates.jsonl.zst";

    // Documents signed per parallel batch within a file; outputs land by position, so threads never change bytes.
    private const int Batch = 512;

    /// <summary>What `dedup` reads, how it finds copies, and how it runs; <see cref="Validate"/> checks it.</summary>
    public sealed record Options
    {
        /// <summary>The corpus to deduplicate; its records are written whole, so every field survives.</summary>
        public required CorpusInputOptions Corpus { get; init; }
        /// <summary>The folder for the kept records, duplicates.jsonl.zst, config.json and stats.json.</summary>
        public required string OutDir { get; init; }
        /// <summary>Exact copies only, or those and near copies by MinHash LSH (the default).</summary>
        public DedupMethod Method { get; init; } = DedupMethod.MinHash;
        /// <summary>Threads, overwrite, and rank or merge: a rank signs its input files into OUT.work, the merge clusters them and writes OUT.</summary>
        public ExecutionOptions Execution { get; init; } = new();

        /// <summary>Throws an <see cref="OptionValidationException"/> for the first option out of range; <see cref="Run"/> calls it first.</summary>
        public void Validate()
        {
            OptionValidationException.NotNull(nameof(Corpus), Corpus, "corpus input options").Validate();
            OptionValidationException.NotBlank(nameof(OutDir), OutDir);
            if (Method is not (DedupMethod.Exact or DedupMethod.MinHash))
                throw OptionValidationException.OutOfRange(nameof(Method), Method.ToString().ToLowerInvariant(), "exact or minhash");
            OptionValidationException.NotNull(nameof(Execution), Execution, "execution options").Validate();
        }
    }

    /// <summary>What a dedup run did.</summary>
    /// <param name="Reused">True when OUT already held a complete output of this configuration (for a rank: the merged
    /// one), which was kept as it is.</param>
    /// <param name="Stats">What was kept and removed; null for a rank.</param>
    /// <param name="UnitsDone">Input files this process signed (a rank) or merged (a local run or the merge); 0 when reused.</param>
    /// <param name="UnitsTotal">The stage's work units: one per input file.</param>
    /// <param name="Config">The output's config.json; null for a rank.</param>
    public sealed record Outcome(bool Reused, DedupStats? Stats, int UnitsDone, int UnitsTotal, string? Config = null)
    {
        /// <summary>The stats and config.json that a dataset made from this output records; a rank's outcome has neither.</summary>
        public DedupSummary Summary => new(Stats!, Config!);
    }

    /// <summary>The shard the <paramref name="file"/>-th file of source <paramref name="source"/> is written to.</summary>
    public static string ShardName(string source, int file) => $"{source}-{file:D5}.jsonl.zst";

    /// <summary>
    /// The --input values that read the dedup output in <paramref name="outDir"/> as the sources of
    /// <paramref name="corpus"/>: same names and weights, each naming its shards (no glob, which could match another
    /// source's shards).
    /// </summary>
    public static IReadOnlyList<string> ShardInputs(CorpusInputOptions corpus, string outDir)
        => corpus.Sources().Select(s =>
            $"{s.Name}={string.Join(',', CorpusReader.ResolveFiles(s).Select((_, n) => Path.Combine(outDir, ShardName(s.Name, n))))}@{s.Weight.ToString("R", CultureInfo.InvariantCulture)}")
        .ToList();

    /// <summary>What a dataset made from the complete output in <paramref name="outDir"/> records of it (as `run` passes it on).</summary>
    /// <exception cref="IOException">The folder holds no complete dedup output.</exception>
    public static DedupSummary ReadSummary(string outDir)
    {
        string stats = Path.Combine(outDir, StatsFile), config = Path.Combine(outDir, ConfigFile);
        if (!File.Exists(stats) || !File.Exists(config))
            throw new IOException($"{outDir}: holds no complete dedup output (no {StatsFile} and {ConfigFile}); run `nextlong dedup` (or its merge) first");
        return new DedupSummary(ReadStats(outDir), File.ReadAllText(config));
    }

    /// <summary>Reads a complete output's stats.json.</summary>
    public static DedupStats ReadStats(string outDir)
        => DedupStats.Json.Deserialize<DedupStats>(File.ReadAllText(Path.Combine(outDir, StatsFile)))!;

    /// <summary>
    /// Deduplicates the corpus into <see cref="Options.OutDir"/>: locally, as rank r of W (signatures into OUT.work),
    /// or as the merge (<see cref="Options.Execution"/>). A complete output of the same configuration is reused.
    /// </summary>
    /// <param name="options">What to read, the method, and how to run; validated first.</param>
    /// <param name="progress">(phase, documents): "sign" while units read their files, "write" during the merge's second pass.</param>
    /// <param name="ct">Stops the run; units already complete stay so, and a rerun starts after them.</param>
    /// <exception cref="OptionValidationException">An option is out of range.</exception>
    /// <exception cref="IOException">OUT holds another dedup output (other inputs or settings) and overwrite is off, or is
    /// not nextlong's, or is locked by another run.</exception>
    /// <exception cref="CorpusFormatException">A bad input record, when bad records fail the read.</exception>
    public static Outcome Run(Options options, Action<string, long>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        options.Corpus.RequireApartFrom(options.OutDir);
        var sources = options.Corpus.Sources();
        var execution = options.Execution;
        var units = CorpusInputs.Files(sources);
        var readOptions = options.Corpus.ReadOptions;
        var stage = new Signatures(options, sources, units, readOptions, progress);
        string statsPath = Path.Combine(options.OutDir, StatsFile), configPath = Path.Combine(options.OutDir, ConfigFile);
        if (execution.Rank is { } rank)
        {
            // Once merged, a rank (requeued, say) finds the output complete and does nothing. Names and sizes suffice
            // here: the merge checked the content, and a rank must not read the whole corpus to hash it.
            if (File.Exists(statsPath) && File.Exists(configPath)
                && WithoutChecksums(File.ReadAllText(configPath)) == ConfigJson(options, sources, CorpusInputs.Describe(sources, checksums: false)))
                return new Outcome(true, null, 0, units.Count);
            var ran = StageExecutor.RunRank(stage, options.OutDir, rank, ct: ct);
            return new Outcome(false, null, ran.Done.Count, units.Count);
        }

        using var folder = OutputFolder.Claim(options.OutDir, OutputKind.Dedup, execution.Overwrite);
        var described = CorpusInputs.Describe(sources, checksums: true, execution.Threads, ct);
        string config = ConfigJson(options, sources, described);
        if (File.Exists(statsPath) && File.Exists(configPath) && File.ReadAllText(configPath) == config && !execution.Overwrite)
            return new Outcome(true, ReadStats(options.OutDir), 0, units.Count, config);
        if (File.Exists(statsPath) && !execution.Overwrite)
            throw new IOException($"{options.OutDir}: holds a dedup output of other inputs (by content) or settings; pass --overwrite to replace it");
        // What an unfinished or replaced run left: only names this kind writes, never the user's.
        foreach (string entry in Directory.EnumerateFileSystemEntries(options.OutDir))
        {
            string name = Path.GetFileName(entry);
            if (name != OutputFolder.MarkerFile && OutputFolder.Owns(OutputKind.Dedup, name)) folder.Remove(name);
        }
        AtomicFile.WriteAllText(configPath, config);
        var contents = described.SelectMany(s => s.Files).Select(f => f.Xxh3!).ToList();
        ForgetStaleUnits(stage, options.OutDir, contents);
        DedupStats Write(MergeSession<UnitStats> session) => WriteOutput(session, options, sources, units, contents, readOptions, progress, ct);
        DedupStats stats;
        if (execution.Merge)
        {
            using var session = StageExecutor.BeginMerge(stage, options.OutDir);
            stats = Write(session);
            session.Finish();
        }
        else
        {
            stats = StageExecutor.RunLocal(stage, options.OutDir, Write, ct);
        }
        return new Outcome(false, stats, units.Count, units.Count, config);
    }

    /// <summary>
    /// The distributed shape of the stage: one unit per input file, whose documents' exact keys and band keys are
    /// written to a <see cref="DedupUnitFile"/>.
    /// </summary>
    private sealed class Signatures(Options options, IReadOnlyList<CorpusSource> sources, IReadOnlyList<CorpusInputs.InputFile> units,
        CorpusReadOptions readOptions, Action<string, long>? progress) : IDistributedStage<UnitStats>
    {
        private readonly MinHashSignature? _minHash = options.Method == DedupMethod.MinHash ? new MinHashSignature() : null;
        private long _documents;

        public string Name => "dedup";

        public string Plan => StageExecutor.Json.Serialize(options.Corpus.Plan("dedup", CorpusInputs.Describe(sources, checksums: false),
            ("method", MethodName(options.Method)), ("bands", MinHashSignature.Bands), ("rows", MinHashSignature.Rows), ("seed", MinHashSignature.DefaultSeed),
            ("n_grams", Shingles.WordsPerShingle)));

        public int UnitCount => units.Count;

        public string UnitName(int unit) => CorpusInputs.InputFile.UnitName(unit);

        public UnitStats Run(int unit, string output, CancellationToken ct)
        {
            var file = units[unit];
            // Hashed before it is read, so the checksum names the bytes the unit was made from (or earlier ones).
            string checksum = FileChecksum.ContentOf(file.File, ct);
            int bands = _minHash is null ? 0 : MinHashSignature.Bands;
            var exact = new List<UInt128>();
            var signed = new List<int>();
            var bandKeys = new List<ulong>();
            long textBytes = 0;
            var texts = new List<string>(Batch);
            var keys = new UInt128[Batch];
            var batchBands = new ulong[Batch * MinHashSignature.Bands];
            var hasSignature = new bool[Batch];
            foreach (var document in CorpusReader.ReadFile(sources[file.Source], file.File, readOptions, new CorpusReadReport(), ct))
            {
                texts.Add(document.Text);
                if (texts.Count == Batch) Flush();
            }
            Flush();
            string temp = output + ".tmp";
            DedupUnitFile.Write(temp, CollectionsMarshal.AsSpan(exact), CollectionsMarshal.AsSpan(signed), CollectionsMarshal.AsSpan(bandKeys), bands);
            File.Move(temp, output, overwrite: true);
            return new UnitStats(file.File, checksum, exact.Count, signed.Count, textBytes);

            void Flush()
            {
                if (texts.Count == 0) return;
                Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = options.Execution.Threads, CancellationToken = ct }, () => new ulong[MinHashSignature.Hashes],
                    (i, _, signature) =>
                    {
                        keys[i] = ExactKey.Of(texts[i]);
                        hasSignature[i] = false;
                        if (_minHash is null) return signature;
                        var shingles = Shingles.Of(texts[i], out int words);
                        if (words < Shingles.WordsPerShingle) return signature;
                        _minHash.Compute(shingles, signature);
                        MinHashSignature.BandKeys(signature, batchBands.AsSpan(i * MinHashSignature.Bands, MinHashSignature.Bands));
                        hasSignature[i] = true;
                        return signature;
                    }, _ => { });
                for (int i = 0; i < texts.Count; i++)
                {
                    if (hasSignature[i])
                    {
                        signed.Add(exact.Count);
                        bandKeys.AddRange(batchBands.AsSpan(i * MinHashSignature.Bands, MinHashSignature.Bands));
                    }
                    exact.Add(keys[i]);
                    textBytes += Encoding.UTF8.GetByteCount(texts[i]);
                }
                _documents += texts.Count;
                progress?.Invoke("sign", _documents);
                texts.Clear();
            }
        }
    }

    // A unit recorded complete is redone when its output is gone (a finished merge removes them; --overwrite then
    // rebuilds) or was made from other bytes of its file (edited in place, same size, so the same plan).
    private static void ForgetStaleUnits(Signatures stage, string outDir, IReadOnlyList<string> contents)
    {
        var work = new WorkFolder(outDir, stage.Plan);
        if (!work.Exists) return;
        using var hold = OutputFolder.Claim(work.Root, OutputKind.Work);
        for (int u = 0; u < stage.UnitCount; u++)
        {
            string name = stage.UnitName(u);
            if (!work.IsComplete(name)) continue;
            var stats = StageExecutor.Json.Deserialize<UnitRecord<UnitStats>>(work.ReadStats(name))!.Stats;
            if (!File.Exists(work.UnitPath(name)) || stats.Xxh3 != contents[u]) File.Delete(Path.Combine(work.CompletionsDir, name));
        }
    }

    /// <summary>What one unit read: its file (and the checksum of the bytes it read), documents, signed documents, text bytes.</summary>
    internal sealed record UnitStats(string File, string Xxh3, long Documents, long Signed, long TextBytes);

    /// <summary>A document of a duplicate cluster during the second pass: what its copies are compared with.</summary>
    private sealed record Member(string Id, string Source, UInt128 Key, ulong[] Shingles, ulong[]? Signature);

    // The merge: clusters from equal keys, then the second pass writing kept records and the duplicates list.
    private static DedupStats WriteOutput(MergeSession<UnitStats> session, Options options, IReadOnlyList<CorpusSource> sources,
        IReadOnlyList<CorpusInputs.InputFile> units, IReadOnlyList<string> contents, CorpusReadOptions readOptions,
        Action<string, long>? progress, CancellationToken ct)
    {
        var unitStats = Enumerable.Range(0, units.Count).Select(session.StatsOf).ToList();
        for (int u = 0; u < units.Count; u++) session.RequireSameContent(u, unitStats[u].File, unitStats[u].Xxh3, contents[u]);
        var offsets = new long[units.Count + 1];
        for (int u = 0; u < units.Count; u++) offsets[u + 1] = offsets[u] + unitStats[u].Documents;
        if (offsets[^1] > Array.MaxLength)
            throw new NotSupportedException($"{offsets[^1]:N0} documents: one dedup merge handles at most {Array.MaxLength:N0}; deduplicate the corpus in parts");
        var clusters = Cluster(session, units.Count, offsets, unitStats, options.Method, ct);
        // The last member of each cluster, so that its kept copy's shingles are held only until then.
        var last = new Dictionary<int, int>();
        for (int g = 0; g < clusters.Count; g++)
        {
            int root = clusters.Find(g);
            if (root != g) last[root] = g;
        }

        var minHash = options.Method == DedupMethod.MinHash ? new MinHashSignature() : null;
        var held = new Dictionary<int, Member>();
        var report = new CorpusReadReport();
        long read = 0, kept = 0, exactRemoved = 0, nearRemoved = 0, bytesRead = 0, bytesKept = 0, bytesExact = 0, bytesNear = 0, recordBytes = 0;
        var files = new List<string>();
        var line = new JsonLines(new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        string duplicatesPath = Path.Combine(options.OutDir, DuplicatesFile);
        using (var duplicates = new ZstdLineWriter(duplicatesPath))
        {
            var perSource = new int[sources.Count];
            for (int u = 0; u < units.Count; u++)
            {
                var (source, file) = units[u];
                string shard = ShardName(sources[source].Name, perSource[source]++);
                using var output = new ZstdLineWriter(Path.Combine(options.OutDir, shard));
                long ordinal = 0;
                foreach (var record in CorpusReader.ReadRecords(sources[source], file, readOptions, report, rawRows: true, ct))
                {
                    if (ordinal == unitStats[u].Documents) throw Changed(file);
                    int g = (int)(offsets[u] + ordinal++);
                    var document = record.Document;
                    long bytes = Encoding.UTF8.GetByteCount(document.Text);
                    read++;
                    bytesRead += bytes;
                    int root = clusters.Find(g);
                    if (root == g)
                    {
                        output.WriteLine(record.Raw.Span);
                        kept++;
                        bytesKept += bytes;
                        recordBytes += record.Raw.Length + 1;
                        if (last.ContainsKey(g)) held[g] = Describe(document, minHash);
                    }
                    else
                    {
                        var original = held[root];
                        var copy = Describe(document, minHash);
                        bool exact = copy.Key == original.Key;
                        if (exact) { exactRemoved++; bytesExact += bytes; }
                        else { nearRemoved++; bytesNear += bytes; }
                        duplicates.WriteLine(DuplicateLine(line, copy, original, exact));
                        if (last[root] == g) held.Remove(root);
                    }
                    if (read % 4096 == 0) progress?.Invoke("write", read);
                }
                if (ordinal != unitStats[u].Documents) throw Changed(file);
                output.Complete();
                files.Add(shard);
            }
            duplicates.Complete();
        }
        progress?.Invoke("write", read);
        // The sources' licences travel with their records, so the dataset made from this output can name them.
        LicenseTable.ForInputs(sources.Select(s => CorpusReader.ResolveFiles(s)[0]))?.Write(options.OutDir);
        var stats = new DedupStats(MethodName(options.Method), read, kept, exactRemoved, nearRemoved, bytesRead, bytesKept, bytesExact, bytesNear,
            recordBytes, options.Method == DedupMethod.MinHash ? read - unitStats.Sum(s => s.Signed) : 0, last.Count, report.SkippedTotal, files);
        AtomicFile.WriteAllText(Path.Combine(options.OutDir, StatsFile), DedupStats.Json.Serialize(stats));
        return stats;

        static InvalidDataException Changed(string file)
            => new($"{file}: changed while being deduplicated (its documents differ from the first pass); rerun");
    }

    // {"id","source","kept_id","kept_source","kind","estimated_jaccard","jaccard"}: estimated from the signatures (null
    // when either text is too short to have one), exact over the two shingle sets.
    private static JsonLines DuplicateLine(JsonLines line, Member copy, Member original, bool exact)
    {
        var json = line.Start();
        json.WriteStartObject();
        json.WriteString("id", copy.Id);
        json.WriteString("source", copy.Source);
        json.WriteString("kept_id", original.Id);
        json.WriteString("kept_source", original.Source);
        json.WriteString("kind", exact ? "exact" : "near");
        if (copy.Signature is not null && original.Signature is not null)
            json.WriteNumber("estimated_jaccard", Math.Round(MinHashSignature.EstimatedJaccard(copy.Signature, original.Signature), 6));
        else
            json.WriteNull("estimated_jaccard");
        double jaccard = copy.Shingles.AsSpan().SequenceEqual(original.Shingles) ? 1 : Shingles.Jaccard(copy.Shingles, original.Shingles);
        json.WriteNumber("jaccard", Math.Round(jaccard, 6));
        json.WriteEndObject();
        return line;
    }

    private static Member Describe(CorpusDocument document, MinHashSignature? minHash)
    {
        var shingles = Shingles.Of(document.Text, out int words);
        ulong[]? signature = null;
        if (minHash is not null && words >= Shingles.WordsPerShingle)
        {
            signature = new ulong[MinHashSignature.Hashes];
            minHash.Compute(shingles, signature);
        }
        return new Member(document.Id, document.Source, ExactKey.Of(document.Text), shingles, signature);
    }

    /// <summary>Joins documents with equal exact keys, then (MinHash) with equal keys in any band, one band in memory at a time.</summary>
    private static UnionFind Cluster(MergeSession<UnitStats> session, int unitCount, long[] offsets, IReadOnlyList<UnitStats> unitStats,
        DedupMethod method, CancellationToken ct)
    {
        int n = (int)offsets[^1];
        var clusters = new UnionFind(n);
        var exactKeys = new UInt128[n];
        var documents = new int[n];
        for (int u = 0; u < unitCount; u++)
        {
            using var reader = new DedupUnitFile.Reader(session.OutputOf(u));
            if (reader.Documents != unitStats[u].Documents) throw new InvalidDataException($"{session.OutputOf(u)}: {reader.Documents} documents, its stats say {unitStats[u].Documents}");
            reader.ReadExactKeys(exactKeys.AsSpan((int)offsets[u]));
        }
        for (int g = 0; g < n; g++) documents[g] = g;
        Array.Sort(exactKeys, documents);
        UniteRuns<UInt128>(exactKeys, documents, clusters);
        if (method != DedupMethod.MinHash) return clusters;

        long signedTotal = unitStats.Sum(s => s.Signed);
        var bandKeys = new ulong[signedTotal];
        var signed = new int[signedTotal];
        for (int band = 0; band < MinHashSignature.Bands; band++)
        {
            ct.ThrowIfCancellationRequested();
            int at = 0;
            for (int u = 0; u < unitCount; u++)
            {
                using var reader = new DedupUnitFile.Reader(session.OutputOf(u));
                int count = (int)reader.Signed;
                reader.ReadSigned(signed.AsSpan(at, count));
                reader.ReadBand(band, bandKeys.AsSpan(at, count));
                for (int j = at; j < at + count; j++) signed[j] += (int)offsets[u];
                at += count;
            }
            Array.Sort(bandKeys, signed);
            UniteRuns<ulong>(bandKeys, signed, clusters);
        }
        return clusters;
    }

    // Documents of a run of equal keys are one cluster; with smallest-root unions the order within a run is irrelevant.
    private static void UniteRuns<TKey>(ReadOnlySpan<TKey> keys, ReadOnlySpan<int> documents, UnionFind clusters) where TKey : IEquatable<TKey>
    {
        for (int i = 1, start = 0; i < keys.Length; i++)
        {
            if (keys[i].Equals(keys[start])) clusters.Union(documents[start], documents[i]);
            else start = i;
        }
    }

    private static string MethodName(DedupMethod method) => method.ToString().ToLowerInvariant();

    // Everything that decides the output and nothing that does not (no threads, no paths of this machine).
    private static string ConfigJson(Options o, IReadOnlyList<CorpusSource> sources, IReadOnlyList<IndexedSource> inputs)
    {
        var config = new Dictionary<string, object?>
        {
            ["dedup_version"] = 1,
            ["method"] = MethodName(o.Method),
            ["exact"] = "XxHash128 of the text in NFC, invariant lowercase, whitespace runs as one space, trimmed",
            ["n_grams"] = Shingles.WordsPerShingle,
            ["bands"] = o.Method == DedupMethod.MinHash ? MinHashSignature.Bands : 0,
            ["rows"] = MinHashSignature.Rows,
            ["seed"] = MinHashSignature.DefaultSeed,
            ["permutations"] = "(a*x + b) mod (2^61 - 1), a and b from SplitMix64(seed)",
            ["kept"] = "the first document of each cluster in input order",
            ["on_bad_record"] = o.Corpus.OnBadRecord.ToString().ToLowerInvariant(),
            ["inputs"] = CorpusInputOptions.ConfigInputs(sources, inputs),
        };
        return StageExecutor.Json.Serialize(config);
    }

    private static string WithoutChecksums(string config)
    {
        var root = JsonNode.Parse(config)!;
        foreach (var input in root["inputs"]!.AsArray())
            foreach (var file in input!["content"]!.AsArray())
                file!["xxh3"] = null;
        return root.ToJsonString(StageExecutor.Json);
    }
}
