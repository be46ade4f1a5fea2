using System.Text.Json;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.External;
using NExtLong.Index;

namespace NExtLong.Pipeline;

/// <summary>
/// The `chunks` stage: corpus files → every chunk the index would hold, once, in index order, as Parquet (or
/// zstd JSON-lines) shards of <see cref="Options.ShardChunks"/> rows with manifest.json binding them to the index plan — for embedding them
/// elsewhere (a GPU job array, one task per shard) and importing the vectors with `index --vectors`. Its work units
/// are the input files: run as rank r of W, a rank writes each of its files' chunks into OUT.work/units; the merge
/// writes the shards from them in file order. Shards are cut by the merge over the whole chunk stream, so their
/// boundaries, like every byte of the folder, do not depend on W.
/// </summary>
public static class ChunksStage
{
    /// <summary>Chunks per shard when <see cref="Options.ShardChunks"/> is not given: 1,000,000.</summary>
    public const int DefaultShardChunks = 1_000_000;
    /// <summary>Largest <see cref="Options.ShardChunks"/>: 2^30 rows.</summary>
    public const int MaxShardChunks = 1 << 30;

    /// <summary>What `chunks` cuts and how it runs; <see cref="Validate"/> checks it.</summary>
    public sealed record Options
    {
        /// <summary>The corpus to cut into chunks, as the index would.</summary>
        public required CorpusInputOptions Corpus { get; init; }
        /// <summary>The folder for chunks-NNNNN.parquet and manifest.json.</summary>
        public required string OutDir { get; init; }
        /// <summary>How documents are cut into chunks, as for the index.</summary>
        public ChunkingOptions Chunking { get; init; } = new();
        /// <summary>Chunks per shard (the last may hold fewer), 1 to <see cref="MaxShardChunks"/>, default <see cref="DefaultShardChunks"/>.</summary>
        public int ShardChunks { get; init; } = DefaultShardChunks;
        /// <summary>The shards' file format: Parquet, or zstd JSON lines for embedding jobs without a Parquet reader.</summary>
        public ChunkShardFormat ShardFormat { get; init; } = ChunkShardFormat.Parquet;
        /// <summary>Threads, overwrite, and rank or merge: a rank cuts its files into OUT.work, the merge writes the shards.</summary>
        public ExecutionOptions Execution { get; init; } = new();

        /// <summary>Throws an <see cref="OptionValidationException"/> for the first option out of range; <see cref="Run"/> calls it first.</summary>
        public void Validate()
        {
            OptionValidationException.NotNull(nameof(Corpus), Corpus, "corpus input options").Validate();
            OptionValidationException.NotBlank(nameof(OutDir), OutDir);
            OptionValidationException.NotNull(nameof(Chunking), Chunking, "chunking options").Validate();
            OptionValidationException.InRange(nameof(ShardChunks), ShardChunks, 1, MaxShardChunks);
            OptionValidationException.Defined(nameof(ShardFormat), ShardFormat);
            OptionValidationException.NotNull(nameof(Execution), Execution, "execution options").Validate();
        }
    }

    /// <summary>What a chunks run did.</summary>
    /// <param name="Reused">True when OUT already held the chunks of this plan (for a rank: the merged folder), kept as they are.</param>
    /// <param name="Documents">Documents read (a rank: in its units; reused: those in the manifest, 0 for a rank).</param>
    /// <param name="Chunks">Chunks written, likewise.</param>
    /// <param name="Shards">Shard files written (0 for a rank; for a reused folder, those it holds).</param>
    /// <param name="Report">Documents read and bad records skipped, per file; empty when reused.</param>
    /// <param name="UnitsDone">Input files this rank cut, or the merge wrote; 0 for a local run.</param>
    /// <param name="UnitsTotal">The stage's work units: one per input file (0 when reused).</param>
    public sealed record Outcome(bool Reused, long Documents, long Chunks, int Shards, CorpusReadReport Report, int UnitsDone = 0, int UnitsTotal = 0);

    /// <summary>
    /// Writes the index's chunks into <see cref="Options.OutDir"/> as shards and manifest.json: locally, as rank r of W,
    /// or as the merge (<see cref="Options.Execution"/>). A folder holding the chunks of the same plan is reused.
    /// </summary>
    /// <param name="options">What to cut, the shard size and format, and how to run; validated first.</param>
    /// <param name="progress">(documents, chunks) done.</param>
    /// <param name="ct">Stops the run; a rank's units already complete stay so.</param>
    /// <exception cref="OptionValidationException">An option is out of range.</exception>
    /// <exception cref="IOException">OUT holds chunks of other inputs or settings and overwrite is off, is not nextlong's,
    /// or is in use by another run.</exception>
    /// <exception cref="InvalidOperationException">The merge finds a unit not complete for this configuration.</exception>
    /// <exception cref="InvalidDataException">The merge finds a unit made from an earlier version of its input file.</exception>
    /// <exception cref="CorpusFormatException">A bad input record, when bad records fail the read.</exception>
    public static Outcome Run(Options options, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        options.Corpus.RequireApartFrom(options.OutDir);
        var sources = options.Corpus.Sources();
        var execution = options.Execution;
        var chunker = options.Chunking.Chunker();
        var units = CorpusInputs.Files(sources);
        var runs = new Runs(options, sources, units, chunker, progress);
        string manifestPath = Path.Combine(options.OutDir, ChunksManifest.FileName);
        if (execution.Rank is { } rank)
        {
            // Once merged, a requeued rank finds the folder complete and does nothing (names and sizes suffice: the
            // merge checked the content).
            if (File.Exists(manifestPath) && ChunksManifest.Read(manifestPath).DifferenceFrom(Planned(options, chunker, CorpusInputs.Describe(sources, checksums: false))) is null)
                return new Outcome(true, 0, 0, 0, new CorpusReadReport());
            var ran = StageExecutor.RunRank(runs, options.OutDir, rank, ct: ct);
            var total = new CorpusReadReport();
            foreach (var unit in ran.Done) total.Add(unit.CorpusRead);
            return new Outcome(false, ran.Done.Sum(u => u.Documents), ran.Done.Sum(u => u.Chunks), 0, total, ran.Done.Count, units.Count);
        }

        using var folder = OutputFolder.Claim(options.OutDir, OutputKind.Chunks, execution.Overwrite);
        var indexed = CorpusInputs.Describe(sources, checksums: true, execution.Threads, ct);
        var planned = Planned(options, chunker, indexed);
        if (File.Exists(manifestPath))
        {
            var existing = ChunksManifest.Read(manifestPath);
            string? difference = existing.DifferenceFrom(planned) ?? (existing.ShardChunks != planned.ShardChunks ? $"shard_chunks {existing.ShardChunks}, not {planned.ShardChunks}" : null)
                ?? (existing.ShardFormat != planned.ShardFormat ? $"shard_format {existing.ShardFormat}, not {planned.ShardFormat}" : null);
            if (difference is null && !execution.Overwrite)
                return new Outcome(true, existing.Documents, existing.Chunks, existing.Shards.Count, new CorpusReadReport());
            if (!execution.Overwrite)
                throw new IOException($"{options.OutDir}: holds chunks made from other inputs (by content) or settings ({difference}); pass --overwrite to replace them");
        }
        using var session = execution.Merge ? StageExecutor.BeginMerge(runs, options.OutDir) : null;
        // The old chunks stop looking complete (manifest first) before any shard is replaced.
        foreach (string entry in Directory.EnumerateFileSystemEntries(options.OutDir).Select(e => Path.GetFileName(e)!).Order(StringComparer.Ordinal).ToList())
            if (entry == ChunksManifest.FileName || IsShard(entry)) folder.Remove(entry);
        var report = new CorpusReadReport();
        var counts = new Counts();
        using var writer = new ChunkShardWriter(options.OutDir, options.ShardChunks, options.ShardFormat, ct);
        var contents = indexed.SelectMany(s => s.Files).Select(f => f.Xxh3).ToList();
        for (int unit = 0; unit < units.Count; unit++)
        {
            string source = sources[units[unit].Source].Name;
            if (session is not null)
            {
                var stats = session.StatsOf(unit);
                session.RequireSameContent(unit, stats.File, stats.Xxh3, contents[unit]);
                report.Add(stats.CorpusRead);
                counts.Add(stats);
                foreach (var (id, text) in ChunkRunFile.Read(session.OutputOf(unit), ct))
                    writer.Add(id, source, text);
                progress?.Invoke(counts.Documents, writer.Chunks);
            }
            else
            {
                foreach (var (doc, text, chunks) in runs.Documents(unit, report, counts, ct))
                    foreach (var chunk in chunks)
                        writer.Add(doc.Id, source, chunk.Of(text).ToString());
            }
        }
        var shards = writer.Complete();
        var manifest = planned with
        {
            Documents = counts.Documents,
            Chunks = writer.Chunks,
            BlankChunksSkipped = counts.Blank,
            DocumentsWithoutChunks = counts.WithoutChunks,
            SkippedRecords = report.SkippedTotal,
            Shards = shards,
        };
        // Written last: it marks the folder complete.
        AtomicFile.WriteAllText(manifestPath, IndexManifest.Json.Serialize(manifest));
        session?.Finish();
        return new Outcome(false, manifest.Documents, manifest.Chunks, shards.Count, report, session is null ? 0 : units.Count, units.Count);
    }

    /// <summary>A chunk shard's name (chunks-NNNNN.parquet or chunks-NNNNN.jsonl.zst, or its .tmp while written).</summary>
    public static bool IsShard(string name) => name.StartsWith("chunks-", StringComparison.Ordinal)
        && Enum.GetValues<ChunkShardFormat>().Any(f => name.EndsWith(f.Extension(), StringComparison.Ordinal) || name.EndsWith(f.Extension() + ".tmp", StringComparison.Ordinal));

    private static ChunksManifest Planned(Options options, ParagraphChunker chunker, IReadOnlyList<IndexedSource> sources)
        => ChunksManifest.Plan(chunker, options.Corpus, sources, options.ShardChunks, options.ShardFormat);

    /// <summary>Documents and chunks counted as they are cut.</summary>
    private sealed class Counts
    {
        public long Documents, Chunks, Blank, WithoutChunks;

        public void Add(UnitStats stats)
        {
            Documents += stats.Documents;
            Chunks += stats.Chunks;
            Blank += stats.BlankChunks;
            WithoutChunks += stats.DocumentsWithoutChunks;
        }
    }

    /// <summary>The distributed shape: one unit per input file, whose chunks a rank writes into a <see cref="ChunkRunFile"/>.</summary>
    private sealed class Runs(Options options, IReadOnlyList<CorpusSource> sources, IReadOnlyList<CorpusInputs.InputFile> units, ParagraphChunker chunker,
        Action<long, long>? progress) : IDistributedStage<UnitStats>
    {
        private readonly CorpusReadOptions _read = options.Corpus.ReadOptions;
        private readonly Counts _total = new();

        public string Name => "chunks";

        // What decides a unit's bytes; the shard size is not in it (the merge cuts the shards).
        public string Plan => StageExecutor.Json.Serialize(options.Corpus.Plan("chunks", CorpusInputs.Describe(sources, checksums: false),
            ("chunk_chars", chunker.MaxChars), ("chunking_mode", chunker.Mode.ToString())));

        public int UnitCount => units.Count;

        public string UnitName(int unit) => CorpusInputs.InputFile.UnitName(unit);

        public UnitStats Run(int unit, string output, CancellationToken ct)
        {
            var report = new CorpusReadReport();
            // Hashed before it is read, so the checksum names the bytes the chunks came from (or earlier ones).
            string checksum = FileChecksum.ContentOf(units[unit].File, ct);
            var counts = new Counts();
            using (var writer = new ChunkRunFile.Writer(output))
            {
                foreach (var (doc, text, chunks) in Documents(unit, report, counts, ct))
                {
                    writer.AddDocument(doc.Id, chunks.Count);
                    foreach (var chunk in chunks) writer.AddChunk(chunk.Of(text));
                }
                writer.Complete();
            }
            return new UnitStats(units[unit].File, checksum, counts.Documents, counts.Chunks, counts.Blank, counts.WithoutChunks, report.TakeSnapshot());
        }

        /// <summary>One input file's documents with the chunks the index holds of each, counted into <paramref name="counts"/>.</summary>
        public IEnumerable<(CorpusDocument Document, string Text, List<ChunkSpan> Chunks)> Documents(int unit, CorpusReadReport report, Counts counts, CancellationToken ct)
        {
            var file = units[unit];
            foreach (var doc in CorpusReader.ReadFile(sources[file.Source], file.File, _read, report, ct))
            {
                ct.ThrowIfCancellationRequested();
                string text = chunker.Prepare(doc.Text);
                var chunks = ChunkIndexBuilder.IndexedChunks(chunker, text, out int blank);
                counts.Documents++;
                counts.Chunks += chunks.Count;
                counts.Blank += blank;
                if (chunks.Count == 0) counts.WithoutChunks++;
                _total.Documents++;
                _total.Chunks += chunks.Count;
                yield return (doc, text, chunks);
                if (_total.Documents % 1024 == 0) progress?.Invoke(_total.Documents, _total.Chunks);
            }
            progress?.Invoke(_total.Documents, _total.Chunks);
        }
    }

    /// <summary>What one unit cut, and what reading its file gave.</summary>
    internal sealed record UnitStats(string File, string Xxh3, long Documents, long Chunks, long BlankChunks, long DocumentsWithoutChunks, CorpusReadReport.Snapshot CorpusRead);
}
