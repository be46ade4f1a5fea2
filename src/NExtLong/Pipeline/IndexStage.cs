using System.Diagnostics;
using System.Text.Json;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.External;
using NExtLong.Index;
using NExtLong.Retrieval;

namespace NExtLong.Pipeline;

/// <summary>
/// The `index` stage: corpus files → chunks → embeddings → index folder. Reuses an index built the same way from
/// the same files. Its work units are the input files in order: run locally, the units stream into one index;
/// run as rank r of W, the rank builds a piece (a small index folder) per unit it owns into OUT.work/units, and
/// the merge concatenates the pieces in unit order into the same bytes a local build writes.
/// </summary>
public static class IndexStage
{
    /// <summary>
    /// The retriever an index is built for unless asked otherwise, chosen by measurement (docs/RETRIEVAL.md): on the
    /// sample corpus BM25 finds a chunk's own document 1.8× as often as GloVe (P@1 0.50 vs 0.28), mines more
    /// same-source negatives (83 % vs 69 %) and needs no embedder, at the same README run time (≈ 10 s).
    /// </summary>
    public const RetrieverKind DefaultRetriever = RetrieverKind.Bm25;

    /// <summary>What `index` builds, from what, and how it runs; <see cref="Validate"/> checks it.</summary>
    public sealed record Options
    {
        /// <summary>The corpus to chunk and index.</summary>
        public required CorpusInputOptions Corpus { get; init; }
        /// <summary>The index folder to create (or reuse, when built the same way from the same files).</summary>
        public required string OutDir { get; init; }
        /// <summary>How documents are cut into the chunks the index holds.</summary>
        public ChunkingOptions Chunking { get; init; } = new();
        /// <summary>The embedder of a dense or hybrid index when none is named (GloVe-SIF: no model download).</summary>
        public const string DefaultEmbedder = "glove";
        /// <summary>Exact search, no IVF file.</summary>
        public const string DefaultIndexSpec = "Flat";
        /// <summary>Which retrievers the index serves: dense (vectors), bm25 (lexical index only, no embedder) or hybrid (both).</summary>
        public RetrieverKind Retriever { get; init; } = DefaultRetriever;
        /// <summary>The lexical index's analyzer and BM25 parameters (bm25 and hybrid).</summary>
        public Bm25Settings Lexical { get; init; } = new();
        /// <summary>The embedder (dense and hybrid; a bm25 index has none).</summary>
        public string Embedder { get; init; } = DefaultEmbedder;
        /// <summary>Vector index spec: "Flat" (exact), or IVF (e.g. "IVF,SQ8") to also build vectors.ivf.</summary>
        public string IndexSpec { get; init; } = DefaultIndexSpec;
        /// <summary>Threads, overwrite, and rank or merge: a rank builds its pieces, the merge joins them into the index folder.</summary>
        public ExecutionOptions Execution { get; init; } = new();
        /// <summary>Vectors computed elsewhere for the chunks of a `nextlong chunks` folder (files, folders, globs); null embeds here.</summary>
        public IReadOnlyList<string>? Vectors { get; init; }
        /// <summary>The model that made <see cref="Vectors"/>, recorded as embedder vectors:NAME.</summary>
        public string? VectorsModel { get; init; }
        /// <summary>The chunks folder the vectors were made from; by default found beside the vector files.</summary>
        public string? ChunksDir { get; init; }
        /// <summary>L2-normalise imported vectors instead of refusing those not of unit length.</summary>
        public bool Normalize { get; init; }
        /// <summary>Refuse imported vectors not of unit length (the default, stated).</summary>
        public bool RequireNormalized { get; init; }

        /// <summary>Throws an <see cref="OptionValidationException"/> for the first option out of range; <see cref="Run"/> calls it first.</summary>
        /// <param name="isSet">Whether the caller gave an option itself (by property name), so that a default typed out
        /// (--embedder glove with a bm25 index) is refused as meaningless too; null: only values other than the default count.</param>
        public void Validate(Func<string, bool>? isSet = null)
        {
            bool embedderGiven = Embedder != DefaultEmbedder || (isSet?.Invoke(nameof(Embedder)) ?? false);
            OptionValidationException.NotNull(nameof(Corpus), Corpus, "corpus input options").Validate();
            OptionValidationException.NotBlank(nameof(OutDir), OutDir);
            OptionValidationException.NotNull(nameof(Chunking), Chunking, "chunking options").Validate();
            OptionValidationException.NotBlank(nameof(Embedder), Embedder);
            OptionValidationException.NotBlank(nameof(IndexSpec), IndexSpec);
            try { VectorIndexFactory.Canonical(IndexSpec); }
            catch (Exception e) when (e is ArgumentException or FormatException)
            {
                throw OptionValidationException.OutOfRange(nameof(IndexSpec), IndexSpec, "Flat or IVF[nlist],Flat|FP16|SQ8|PQm|PQmx4fs[r][,RFlat][,nprobe=N]");
            }
            OptionValidationException.Defined(nameof(Retriever), Retriever);
            if (Lexical is null) throw OptionValidationException.OutOfRange(nameof(Lexical), null, "BM25 settings");
            Lexical.Validate();
            if (Retriever == RetrieverKind.Bm25 && IvfSpec.IsIvf(IndexSpec))
                throw OptionValidationException.Conflict(nameof(IndexSpec), IndexSpec, nameof(Retriever), Retriever, "a bm25 index holds no vectors to cluster; add --retriever dense or hybrid");
            if (Retriever == RetrieverKind.Dense && Lexical != new Bm25Settings())
                throw OptionValidationException.Conflict(Lexical.StopWords != new Bm25Settings().StopWords ? nameof(Bm25Settings.StopWords) : nameof(Bm25Settings.Stemming),
                    "given", nameof(Retriever), Retriever, "a dense index has no lexical index; add --retriever bm25 or hybrid");
            if (Retriever == RetrieverKind.Bm25 && embedderGiven)
                throw OptionValidationException.Conflict(nameof(Embedder), Embedder, nameof(Retriever), Retriever, "a bm25 index embeds nothing; add --retriever dense or hybrid");
            OptionValidationException.NotNull(nameof(Execution), Execution, "execution options").Validate();
            if (Vectors is null)
            {
                foreach (var (name, given) in new[] { (nameof(VectorsModel), VectorsModel is not null), (nameof(ChunksDir), ChunksDir is not null),
                             (nameof(Normalize), Normalize), (nameof(RequireNormalized), RequireNormalized) })
                    if (given) throw OptionValidationException.OutOfRange(name, "given", "only with --vectors", "it applies to imported vectors");
                return;
            }
            OptionValidationException.NotEmpty(nameof(Vectors), Vectors);
            if (VectorsModel is not null && (string.IsNullOrWhiteSpace(VectorsModel) || VectorsModel.Contains(',')))
                throw OptionValidationException.OutOfRange(nameof(VectorsModel), VectorsModel, "a model name without commas");
            if (embedderGiven)
                throw OptionValidationException.Conflict(nameof(Embedder), Embedder, nameof(Vectors), string.Join(" ", Vectors), "imported vectors need no embedder; name their model with --vectors-model");
            if (Normalize && RequireNormalized)
                throw OptionValidationException.Conflict(nameof(Normalize), true, nameof(RequireNormalized), true, "choose one");
            if (Execution.Rank is not null || Execution.Merge)
                throw OptionValidationException.Conflict(nameof(Vectors), string.Join(" ", Vectors), Execution.Rank is not null ? nameof(ExecutionOptions.Rank) : nameof(ExecutionOptions.Merge),
                    Execution.Rank?.ToString() ?? "true",
                    "importing vectors reads the corpus once, in one process");
        }
    }

    /// <summary>The model name recorded when --vectors-model is not given.</summary>
    public const string UnnamedVectorsModel = "unnamed";

    /// <summary>What an index run did.</summary>
    /// <param name="Reused">True when OUT already held an index of this build (inputs by content, settings; for a rank,
    /// by file sizes), kept as it is.</param>
    /// <param name="Documents">Documents indexed (a rank: in its units; reused: those in the manifest).</param>
    /// <param name="Chunks">Chunks indexed, likewise.</param>
    /// <param name="DuplicateIds">Documents whose id an earlier document already had (0 for a rank, which cannot tell).</param>
    /// <param name="Report">Documents read and bad records skipped, per file; empty when reused.</param>
    /// <param name="UnitsDone">Units this process built (rank mode) or merged; 0 for a local build.</param>
    /// <param name="UnitsTotal">The stage's work units: one per input file (0 for a local build or when reused).</param>
    public sealed record Outcome(bool Reused, long Documents, long Chunks, long DuplicateIds, CorpusReadReport Report, int UnitsDone = 0, int UnitsTotal = 0);

    /// <summary>
    /// Builds the index folder <see cref="Options.OutDir"/> (chunks, vectors, lexical index, manifest): locally, from
    /// vectors computed elsewhere (<see cref="Options.Vectors"/>), as rank r of W, or as the merge
    /// (<see cref="Options.Execution"/>). An index of the same build is reused.
    /// </summary>
    /// <param name="options">What to index, how to chunk, embed and search, and how to run; validated first.</param>
    /// <param name="progress">(documents, chunks) done.</param>
    /// <param name="ct">Stops the run; a rank's units already complete stay so.</param>
    /// <exception cref="OptionValidationException">An option is out of range, or options conflict.</exception>
    /// <exception cref="IOException">OUT holds an index of other inputs, settings or format version and overwrite is off,
    /// is not nextlong's, or is in use by another run.</exception>
    /// <exception cref="InvalidOperationException">The merge finds a unit not complete for this configuration.</exception>
    /// <exception cref="InvalidDataException">The merge finds a piece made from an earlier version of its file or for other
    /// settings; or imported vectors do not match the chunks they are for.</exception>
    /// <exception cref="CorpusFormatException">A bad input record, when bad records fail the read.</exception>
    public static Outcome Run(Options options, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        options.Corpus.RequireApartFrom(options.OutDir);
        string indexSpec = VectorIndexFactory.Canonical(options.IndexSpec);
        var sources = options.Corpus.Sources();
        if (options.Vectors is not null)
            return Import(options, sources, indexSpec, progress, ct);
        using var embedder = options.Retriever.NeedsVectors() ? EmbedderFactory.Create(options.Embedder) : null;
        var lexical = options.Retriever.NeedsLexical() ? options.Lexical : null;
        string embedderSpec = embedder?.Spec ?? ChunkIndexBuilder.NoEmbedder;
        var chunker = options.Chunking.Chunker();
        var units = CorpusInputs.Files(sources);
        var readOptions = options.Corpus.ReadOptions;
        var pieces = new Pieces(options, sources, units, chunker, embedder, lexical, readOptions, progress);
        var execution = options.Execution;
        if (execution.Rank is { } rank)
        {
            // Once merged, a rank (requeued, say) finds the index complete and does nothing. Names and sizes suffice
            // here: the merge checked the content, and a rank must not read the whole corpus to hash it.
            if (ChunkIndex.Exists(options.OutDir) && IndexManifest.Read(Path.Combine(options.OutDir, "manifest.json")) is var built
                && built.SameSettingsAndFileSizes(indexSpec, options.Retriever.Name(), lexical, embedderSpec, chunker, CorpusInputs.Fields(sources),
                    CorpusInputs.Describe(sources, checksums: false)))
                return new Outcome(true, built.Documents, built.Chunks, built.DuplicateIds, new CorpusReadReport());
            var ran = StageExecutor.RunRank(pieces, options.OutDir, rank, ct: ct);
            var total = new CorpusReadReport();
            foreach (var unit in ran.Done) total.Add(unit.CorpusRead);
            return new Outcome(false, ran.Done.Sum(u => u.Documents), ran.Done.Sum(u => u.Chunks), 0, total, ran.Done.Count, units.Count);
        }

        using var folder = OutputFolder.Claim(options.OutDir, OutputKind.Index, options.Execution.Overwrite);
        var indexed = CorpusInputs.Describe(sources, checksums: true, options.Execution.Threads, ct);
        var report = new CorpusReadReport();
        if (ChunkIndex.Exists(options.OutDir))
        {
            var existing = IndexManifest.Read(Path.Combine(options.OutDir, "manifest.json"));
            var planned = existing with
            {
                FormatVersion = IndexManifest.CurrentFormatVersion,
                IndexSpec = indexSpec,
                Retriever = options.Retriever.Name(),
                Lexical = lexical,
                Embedder = embedderSpec,
                ChunkChars = chunker.MaxChars,
                ChunkingMode = chunker.Mode.ToString(),
                Sources = indexed,
                Fields = CorpusInputs.Fields(sources),
            };
            if (existing.SameBuildAs(planned) && !options.Execution.Overwrite)
                return new Outcome(true, existing.Documents, existing.Chunks, existing.DuplicateIds, report);
            if (!options.Execution.Overwrite && existing.FormatVersion != IndexManifest.CurrentFormatVersion)
                throw new IOException($"{options.OutDir}: holds an index of format version {existing.FormatVersion}, this build writes {IndexManifest.CurrentFormatVersion}; pass --overwrite to rebuild it");
            if (!options.Execution.Overwrite)
                throw new IOException($"{options.OutDir}: holds an index built from other inputs or settings ({string.Join("; ", existing.Differences(planned))}); pass --overwrite to replace it");
        }
        if (execution.Merge)
            return MergePieces(pieces, indexed, embedder, lexical, chunker, indexSpec, options, progress, ct);

        var documents = units.SelectMany((u, n) => CorpusReader.ReadFile(sources[u.Source], u.File, readOptions, report, ct).Select(d => (d, u.Source, n)));
        var builder = new ChunkIndexBuilder(chunker, embedder, options.Execution.Threads, indexSpec, lexical);
        var result = builder.Build(options.OutDir, indexed, CorpusInputs.Fields(sources), documents, () => report.SkippedTotal, progress, ct);
        return new Outcome(false, result.Documents, result.Chunks, result.DuplicateIds, report);
    }

    /// <summary>
    /// An index of vectors computed elsewhere: the corpus is read and chunked as a local build does (so chunk texts,
    /// documents and offsets are the same bytes), and each chunk's vector comes from the imported files instead of
    /// an embedder, checked against the chunks manifest they were made for.
    /// </summary>
    private static Outcome Import(Options options, IReadOnlyList<CorpusSource> sources, string indexSpec, Action<long, long>? progress, CancellationToken ct)
    {
        using var folder = OutputFolder.Claim(options.OutDir, OutputKind.Index, options.Execution.Overwrite);
        var indexed = CorpusInputs.Describe(sources, checksums: true, options.Execution.Threads, ct);
        var chunker = options.Chunking.Chunker();
        var planned = ChunksManifest.Plan(chunker, options.Corpus, indexed, ChunksStage.DefaultShardChunks);
        using var vectors = ImportedVectors.Open(options.Vectors!, options.ChunksDir, options.VectorsModel ?? UnnamedVectorsModel, options.Normalize, planned, options.Execution.Threads, ct);
        var report = new CorpusReadReport();
        if (ChunkIndex.Exists(options.OutDir))
        {
            var existing = IndexManifest.Read(Path.Combine(options.OutDir, "manifest.json"));
            var wanted = existing with
            {
                IndexSpec = indexSpec,
                Embedder = vectors.Spec,
                ChunkChars = chunker.MaxChars,
                ChunkingMode = chunker.Mode.ToString(),
                Sources = indexed,
                Fields = CorpusInputs.Fields(sources),
                ImportedVectors = vectors.Imported,
            };
            if (existing.SameBuildAs(wanted) && !options.Execution.Overwrite)
                return new Outcome(true, existing.Documents, existing.Chunks, existing.DuplicateIds, report);
            if (!options.Execution.Overwrite)
                throw new IOException($"{options.OutDir}: holds an index built from other inputs, vectors (by content) or settings; pass --overwrite to replace it");
        }
        var readOptions = options.Corpus.ReadOptions;
        var units = CorpusInputs.Files(sources);
        var documents = units.SelectMany((u, n) => CorpusReader.ReadFile(sources[u.Source], u.File, readOptions, report, ct).Select(d => (d, u.Source, n)));
        var builder = new ChunkIndexBuilder(chunker, vectors, indexSpec, options.Execution.Threads);
        var result = builder.Build(options.OutDir, indexed, CorpusInputs.Fields(sources), documents, () => report.SkippedTotal, progress, ct);
        return new Outcome(false, result.Documents, result.Chunks, result.DuplicateIds, report);
    }

    /// <summary>
    /// The distributed shape of the stage: one unit per input file, each built into a piece (a Flat index folder of
    /// that file's documents, exactly as a local build embeds them: one embedding batch never spans two files), with
    /// its own lexical.bm25 for the bm25 and hybrid retrievers.
    /// </summary>
    private sealed class Pieces(Options options, IReadOnlyList<CorpusSource> sources, IReadOnlyList<CorpusInputs.InputFile> units, ParagraphChunker chunker,
        IEmbedder? embedder, Bm25Settings? lexical, CorpusReadOptions readOptions, Action<long, long>? progress) : IDistributedStage<UnitStats>
    {
        // Files by path and size only: a rank hashes just its own files, and the merge checks each unit's recorded
        // checksum against the file as it is now.
        private readonly IReadOnlyList<IndexedSource> _described = CorpusInputs.Describe(sources, checksums: false);
        private long _documents, _chunks;

        public IReadOnlyList<CorpusSource> Sources => sources;

        public string Name => "index";

        // What decides the pieces' bytes. The index spec is not in it: pieces hold exact vectors, and the IVF file is
        // built by the merge, so another spec reuses the pieces.
        public string Plan => StageExecutor.Json.Serialize(options.Corpus.Plan("index", _described,
            ("retriever", options.Retriever.Name()), ("lexical", lexical), ("embedder", embedder?.Spec ?? ChunkIndexBuilder.NoEmbedder),
            ("chunk_chars", chunker.MaxChars), ("chunking_mode", chunker.Mode.ToString())));

        public int UnitCount => units.Count;

        public string UnitName(int unit) => CorpusInputs.InputFile.UnitName(unit);

        public UnitStats Run(int unit, string output, CancellationToken ct)
        {
            var file = units[unit];
            var report = new CorpusReadReport();
            // Hashed before it is read, so the checksum names the bytes the piece was built from (or earlier ones).
            string checksum = FileChecksum.ContentOf(file.File, ct);
            var docs = CorpusReader.ReadFile(sources[file.Source], file.File, readOptions, report, ct).Select(d => (d, file.Source, unit));
            var builder = new ChunkIndexBuilder(chunker, embedder, options.Execution.Threads, "Flat", lexical);
            long documentsBefore = _documents, chunksBefore = _chunks;
            var piece = builder.Build(output, _described, CorpusInputs.Fields(sources), docs, () => report.SkippedTotal,
                (d, c) => progress?.Invoke(documentsBefore + d, chunksBefore + c), ct);
            _documents += piece.Documents;
            _chunks += piece.Chunks;
            return new UnitStats(file.File, file.Source, checksum, piece.Documents, piece.Chunks, report.TakeSnapshot());
        }
    }

    /// <summary>What one unit's piece holds and what reading its file gave.</summary>
    internal sealed record UnitStats(string File, int Source, string Xxh3, long Documents, long Chunks, CorpusReadReport.Snapshot CorpusRead);

    private static Outcome MergePieces(Pieces pieces, IReadOnlyList<IndexedSource> indexed, IEmbedder? embedder, Bm25Settings? lexical,
        ParagraphChunker chunker, string indexSpec, Options options, Action<long, long>? progress, CancellationToken ct)
    {
        using var session = StageExecutor.BeginMerge(pieces, options.OutDir);
        var contents = indexed.SelectMany(s => s.Files).Select(f => f.Xxh3).ToList();
        var report = new CorpusReadReport();
        long blank = 0, withoutChunks = 0, skipped = 0;
        int d = embedder?.Dimension ?? 0;
        var vector = new float[d];
        using (var writer = new ChunkIndexWriter(options.OutDir, d, indexSpec, options.Execution.Threads, ct, lexical))
        {
            for (int unit = 0; unit < pieces.UnitCount; unit++)
            {
                var stats = session.StatsOf(unit);
                session.RequireSameContent(unit, stats.File, stats.Xxh3, contents[unit]);
                report.Add(stats.CorpusRead);
                using var piece = ChunkIndex.Open(session.OutputOf(unit));
                string embedderSpec = embedder?.Spec ?? ChunkIndexBuilder.NoEmbedder;
                if (piece.Manifest.Dimension != d || piece.Manifest.Embedder != embedderSpec || piece.Manifest.Retriever != options.Retriever.Name() || piece.Manifest.Lexical != lexical)
                    throw new InvalidDataException($"{session.OutputOf(unit)}: built for retriever {piece.Manifest.Retriever} with {piece.Manifest.Embedder} ({piece.Manifest.Dimension}-d), not {options.Retriever.Name()} with {embedderSpec}");
                // The piece's terms are merged as a segment, not analyzed again.
                if (writer.Lexical is { } lexicalWriter) lexicalWriter.AddSegment(Path.Combine(session.OutputOf(unit), ChunkIndexFiles.Lexical));
                blank += piece.Manifest.BlankChunksSkipped;
                withoutChunks += piece.Manifest.DocumentsWithoutChunks;
                skipped += piece.Manifest.SkippedRecords;
                for (int doc = 0; doc < piece.DocumentCount; doc++)
                {
                    ct.ThrowIfCancellationRequested();
                    var record = piece.Document(doc);
                    var origin = piece.Origin(doc);
                    int merged = writer.AddDocument(record.Id, piece.DocumentSourceIndex(doc), record.ChunkCount, origin.InputFile, origin.Record, piece.GapsOf(doc));
                    for (long id = record.FirstChunk; id < record.FirstChunk + record.ChunkCount; id++)
                    {
                        var chunk = piece.Chunk(id);
                        if (d > 0) piece.ReadVector(id, vector);
                        writer.AddChunk(merged, piece.ChunkText(id), chunk.CharStart, chunk.CharLength, vector, piece.ChunkShingles(id), analyze: false);
                    }
                }
                progress?.Invoke(writer.DocumentCount, writer.ChunkCount);
            }
            long documents = writer.DocumentCount, chunks = writer.ChunkCount;
            writer.Complete(checksums => ChunkIndexBuilder.Manifest(writer, indexSpec, embedder is null ? null : new EmbeddedChunkVectors(embedder, 1), lexical, chunker,
                indexed, CorpusInputs.Fields(pieces.Sources), blank, withoutChunks, skipped, checksums));
            session.Finish();
            return new Outcome(false, documents, chunks, writer.DuplicateIds, report, pieces.UnitCount, pieces.UnitCount);
        }
    }
}
