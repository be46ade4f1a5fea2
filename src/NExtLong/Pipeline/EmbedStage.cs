using System.Text.Json;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Index;

namespace NExtLong.Pipeline;

/// <summary>
/// The `embed` stage on its own: corpus files → chunks (exactly as the index stage cuts them) → vectors, written to
/// OUT/vectors.flat in index order with OUT/embed.json describing them. Every vector also goes to an embedding cache
/// (OUT/cache unless the spec names one with cache=DIR), so an interrupted run resumes where it stopped and an
/// `index` run given the same cache embeds nothing twice.
/// </summary>
public static class EmbedStage
{
    /// <summary>The vectors, one L2-normalised row per chunk in index order (the index's Flat format).</summary>
    public const string VectorsFile = "vectors.flat";
    /// <summary>The <see cref="Manifest"/>; written after the vectors, it marks the folder complete.</summary>
    public const string ManifestFile = "embed.json";

    /// <summary>What `embed` embeds and how it runs; <see cref="Validate"/> checks it.</summary>
    public sealed record Options
    {
        /// <summary>The corpus to chunk and embed.</summary>
        public required CorpusInputOptions Corpus { get; init; }
        /// <summary>The folder for vectors.flat, embed.json and (unless the embedder names one) the cache.</summary>
        public required string OutDir { get; init; }
        /// <summary>How documents are cut into chunks, as for the index.</summary>
        public ChunkingOptions Chunking { get; init; } = new();
        /// <summary>The embedder spec (docs/EMBEDDERS.md).</summary>
        public string Embedder { get; init; } = IndexStage.Options.DefaultEmbedder;
        /// <summary>
        /// Threads, and rank or merge: a rank embeds its input files into OUT.work (sharing the cache), the merge
        /// concatenates their vectors in input order into OUT/vectors.flat. No overwrite: a rerun resumes from the cache.
        /// </summary>
        public ExecutionOptions Execution { get; init; } = new();

        /// <summary>Throws an <see cref="OptionValidationException"/> for the first option out of range; <see cref="Run"/> calls it first.</summary>
        public void Validate()
        {
            OptionValidationException.NotNull(nameof(Corpus), Corpus, "corpus input options").Validate();
            OptionValidationException.NotBlank(nameof(OutDir), OutDir);
            OptionValidationException.NotNull(nameof(Chunking), Chunking, "chunking options").Validate();
            OptionValidationException.NotBlank(nameof(Embedder), Embedder);
            OptionValidationException.NotNull(nameof(Execution), Execution, "execution options").Validate();
            if (Execution.Overwrite)
                throw OptionValidationException.OutOfRange(nameof(ExecutionOptions.Overwrite), true, "false", "embed replaces nothing: a rerun resumes from its vector cache");
        }
    }

    /// <summary>What an embed run did.</summary>
    /// <param name="Documents">Documents read (a rank: in its units); for a merge that had already finished, those in embed.json.</param>
    /// <param name="Chunks">Chunks embedded or found in the cache, one vector each.</param>
    /// <param name="CacheHits">Vectors this process took from the cache.</param>
    /// <param name="Embedded">Vectors this process computed (and added to the cache).</param>
    /// <param name="CacheDir">The embedding cache's folder.</param>
    /// <param name="Report">Documents read and bad records skipped, per file; empty for a merge that had already finished.</param>
    /// <param name="UnitsDone">Input files this rank embedded, or the merge concatenated; 0 for a local run.</param>
    /// <param name="UnitsTotal">The stage's work units: one per input file.</param>
    public sealed record Outcome(long Documents, long Chunks, long CacheHits, long Embedded, string CacheDir, CorpusReadReport Report, int UnitsDone = 0, int UnitsTotal = 0);

    /// <summary>embed.json: what the vectors are and how they were made.</summary>
    /// <param name="Embedder">The embedder's canonical spec (docs/EMBEDDERS.md).</param>
    /// <param name="Dimension">Floats per vector.</param>
    /// <param name="ChunkChars">s, the chunk size in characters (Unicode scalar values) the documents were cut at.</param>
    /// <param name="ChunkingMode">The chunker's mode (<see cref="Chunking.ChunkingMode"/>), by name.</param>
    /// <param name="Sources">The inputs, every file with its size and XxHash3.</param>
    /// <param name="Documents">Documents read.</param>
    /// <param name="Chunks">Vectors in <paramref name="Vectors"/>.</param>
    /// <param name="Vectors">The vectors file's name in the folder (<see cref="VectorsFile"/>).</param>
    /// <param name="Cache">The embedding cache's folder.</param>
    public sealed record Manifest(string Embedder, int Dimension, int ChunkChars, string ChunkingMode, IReadOnlyList<IndexedSource> Sources,
        long Documents, long Chunks, string Vectors, string Cache);

    /// <summary>
    /// Embeds the corpus into <see cref="Options.OutDir"/>: locally, as rank r of W, or as the merge
    /// (<see cref="Options.Execution"/>).
    /// </summary>
    /// <param name="options">What to embed, with which model, and how to run; validated first.</param>
    /// <param name="progress">(documents, chunks) done.</param>
    /// <param name="ct">Stops the run; vectors already in the cache are not computed again by a rerun.</param>
    /// <exception cref="OptionValidationException">An option is out of range, or overwrite is asked for.</exception>
    /// <exception cref="IOException">OUT is not nextlong's or of another kind, or is in use by another run.</exception>
    /// <exception cref="InvalidOperationException">The merge finds a unit not complete for this configuration.</exception>
    /// <exception cref="InvalidDataException">The merge finds a unit made from an earlier version of its input file.</exception>
    /// <exception cref="CorpusFormatException">A bad input record, when bad records fail the read.</exception>
    public static Outcome Run(Options options, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        options.Corpus.RequireApartFrom(options.OutDir);
        var sources = options.Corpus.Sources();
        var execution = options.Execution;
        // Ranks share the folder (they fill one vector cache in it); a local run or the merge holds it alone.
        using var folder = OutputFolder.Claim(options.OutDir, OutputKind.Embeddings, shared: execution.Rank is not null);
        var indexed = CorpusInputs.Describe(sources, checksums: execution.Rank is null, execution.Threads, ct);
        string spec = options.Embedder.Contains(",cache=", StringComparison.OrdinalIgnoreCase)
            ? options.Embedder
            : $"{options.Embedder},cache={Path.Combine(options.OutDir, "cache")}";
        using var embedder = (CachedEmbedder)EmbedderFactory.Create(spec);
        var chunker = options.Chunking.Chunker();
        var report = new CorpusReadReport();
        var readOptions = options.Corpus.ReadOptions;
        // The work units are the input files, as for the index stage; a unit's vectors are embedded in batches of
        // their own, so they are the same bytes whichever rank or run makes them.
        var units = CorpusInputs.Files(sources);
        var vectors = new Vectors(options, sources, units, chunker, embedder, readOptions, progress);
        string outPath = Path.Combine(options.OutDir, VectorsFile);
        if (execution.Rank is { } rank)
        {
            var ran = StageExecutor.RunRank(vectors, options.OutDir, rank, ct: ct);
            foreach (var unit in ran.Done) report.Add(unit.CorpusRead);
            return new Outcome(ran.Done.Sum(u => u.Documents), ran.Done.Sum(u => u.Chunks), embedder.Hits, embedder.Misses, embedder.Cache.Directory, report,
                ran.Done.Count, units.Count);
        }
        string manifestPath = Path.Combine(options.OutDir, ManifestFile);
        int d = embedder.Dimension;
        long documents = 0, chunks = 0;
        if (execution.Merge)
        {
            // A merge that already finished (its manifest is written before the unit outputs go) is not redone.
            if (File.Exists(manifestPath) && File.Exists(outPath)
                && IndexManifest.Json.Deserialize<Manifest>(File.ReadAllText(manifestPath)) is { } done
                && done.Embedder == embedder.Spec && done.ChunkChars == chunker.MaxChars && done.ChunkingMode == chunker.Mode.ToString()
                && done.Sources.SequenceEqual(indexed, IndexedSource.Comparer))
                return new Outcome(done.Documents, done.Chunks, 0, 0, done.Cache, report, 0, units.Count);
            using var session = StageExecutor.BeginMerge(vectors, options.OutDir);
            // Every unit is checked against its file as it is now before anything is written.
            var unitStats = Enumerable.Range(0, units.Count).Select(session.StatsOf).ToList();
            var contents = indexed.SelectMany(source => source.Files).Select(f => f.Xxh3).ToList();
            for (int unit = 0; unit < units.Count; unit++) session.RequireSameContent(unit, unitStats[unit].File, unitStats[unit].Xxh3, contents[unit]);
            using var writer = new VectorIndexFile.Writer(outPath, d);
            for (int unit = 0; unit < units.Count; unit++)
            {
                var stats = unitStats[unit];
                report.Add(stats.CorpusRead);
                documents += stats.Documents;
                using var piece = (FlatIndex)VectorIndexFile.Open(session.OutputOf(unit), verifyChecksum: true);
                for (long start = 0; start < piece.Count; start += VectorRows.BlockRows)
                {
                    if (start % (64L * VectorRows.BlockRows) == 0) ct.ThrowIfCancellationRequested();
                    writer.Append(piece.Rows.Block(start, (int)Math.Min(VectorRows.BlockRows, piece.Count - start)));
                }
                chunks += piece.Count;
                progress?.Invoke(documents, chunks);
            }
            writer.Complete();
            WriteManifest();
            session.Finish();
            return new Outcome(documents, chunks, embedder.Hits, embedder.Misses, embedder.Cache.Directory, report, units.Count, units.Count);
        }
        using (var writer = new VectorIndexFile.Writer(outPath, d))
        {
            foreach (var (source, file) in units)
            {
                var (docs, vectorCount) = vectors.EmbedFile(source, file, report, writer, ct);
                documents += docs;
                chunks += vectorCount;
            }
            writer.Complete();
        }
        WriteManifest();
        return new Outcome(documents, chunks, embedder.Hits, embedder.Misses, embedder.Cache.Directory, report, 0, units.Count);

        void WriteManifest()
        {
            var manifest = new Manifest(embedder.Spec, d, chunker.MaxChars, chunker.Mode.ToString(), indexed, documents, chunks, VectorsFile, embedder.Cache.Directory);
            AtomicFile.WriteAllText(manifestPath, IndexManifest.Json.Serialize(manifest));
        }
    }

    /// <summary>The stage's work: one input file's chunks embedded in batches of their own, as a unit or in a local run.</summary>
    private sealed class Vectors(Options options, IReadOnlyList<CorpusSource> sources, IReadOnlyList<CorpusInputs.InputFile> units, ParagraphChunker chunker,
        CachedEmbedder embedder, CorpusReadOptions readOptions, Action<long, long>? progress) : IDistributedStage<UnitStats>
    {
        private long _documents, _chunks;

        public string Name => "embed";

        public string Plan => JsonContracts.Plain.Serialize(options.Corpus.Plan("embed", CorpusInputs.Describe(sources, checksums: false),
            ("embedder", embedder.Spec), ("chunk_chars", chunker.MaxChars), ("chunking_mode", chunker.Mode.ToString())));

        public int UnitCount => units.Count;

        public string UnitName(int unit) => CorpusInputs.InputFile.UnitName(unit);

        public UnitStats Run(int unit, string output, CancellationToken ct)
        {
            var report = new CorpusReadReport();
            // Hashed before it is read, so the checksum names the bytes the vectors were made from (or earlier ones).
            string checksum = FileChecksum.ContentOf(units[unit].File, ct);
            using var writer = new VectorIndexFile.Writer(output, embedder.Dimension);
            var (documents, chunks) = EmbedFile(units[unit].Source, units[unit].File, report, writer, ct);
            writer.Complete();
            return new UnitStats(units[unit].File, checksum, documents, chunks, report.TakeSnapshot());
        }

        /// <summary>Appends the vectors of one file's chunks to <paramref name="writer"/>; returns (documents, vectors).</summary>
        public (long Documents, long Chunks) EmbedFile(int source, string file, CorpusReadReport report, VectorIndexFile.Writer writer, CancellationToken ct)
        {
            long documentsBefore = _documents, chunksBefore = _chunks;
            int d = embedder.Dimension;
            // The file is read and chunked a batch ahead of the embedding, on a thread of its own; batches as a serial run cuts them.
            foreach (var (batch, documents) in ReadAhead.Of(Batches(source, file, report, ct), ChunkIndexBuilder.BatchesAhead, "nextlong embed reader", ct))
            {
                if (batch.Count > 0)
                {
                    var vectors = new float[batch.Count * d];
                    int slices = Math.Min(options.Execution.Threads, batch.Count);
                    Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = options.Execution.Threads, CancellationToken = ct }, s =>
                    {
                        int from = (int)((long)batch.Count * s / slices), to = (int)((long)batch.Count * (s + 1) / slices);
                        embedder.Embed(batch.GetRange(from, to - from), vectors.AsSpan(from * d, (to - from) * d), ct);
                    });
                    writer.Append(vectors);
                }
                _documents += documents;
                _chunks += batch.Count;
                progress?.Invoke(_documents, _chunks);
            }
            return (_documents - documentsBefore, _chunks - chunksBefore);
        }

        /// <summary>The file's chunk texts in batches of at least <see cref="ChunkIndexBuilder.BatchChunks"/>, each with the documents read into it.</summary>
        private IEnumerable<(List<string> Texts, long Documents)> Batches(int source, string file, CorpusReadReport report, CancellationToken ct)
        {
            var batch = new List<string>(ChunkIndexBuilder.BatchChunks);
            long documents = 0;
            foreach (var document in CorpusReader.ReadFile(sources[source], file, readOptions, report, ct))
            {
                ct.ThrowIfCancellationRequested();
                string text = chunker.Prepare(document.Text);
                // Exactly the chunks the index holds, so vectors stay aligned with its chunk ids.
                foreach (var chunk in ChunkIndexBuilder.IndexedChunks(chunker, text, out _))
                    batch.Add(chunk.Of(text).ToString());
                documents++;
                if (batch.Count >= ChunkIndexBuilder.BatchChunks)
                {
                    yield return (batch, documents);
                    batch = new List<string>(ChunkIndexBuilder.BatchChunks);
                    documents = 0;
                }
            }
            if (batch.Count > 0 || documents > 0)
                yield return (batch, documents);
        }
    }

    /// <summary>What one unit embedded, and the checksum of the file's bytes it read (the merge refuses other bytes).</summary>
    internal sealed record UnitStats(string File, string Xxh3, long Documents, long Chunks, CorpusReadReport.Snapshot CorpusRead);
}
