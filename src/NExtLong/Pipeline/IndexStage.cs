using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Index;

namespace NExtLong.Pipeline;

/// <summary>The `index` stage: corpus files → chunks → embeddings → index folder. Reuses an index built the same way from the same files.</summary>
public static class IndexStage
{
    public sealed record Options
    {
        public required IReadOnlyList<string> Inputs { get; init; }
        public required string OutDir { get; init; }
        public int ChunkChars { get; init; } = ParagraphChunker.DefaultMaxChars;
        public ChunkingMode ChunkingMode { get; init; } = ChunkingMode.Clean;
        public string Embedder { get; init; } = "glove";
        /// <summary>Vector index spec: "Flat" (exact), or IVF (e.g. "IVF,SQ8") to also build vectors.ivf.</summary>
        public string IndexSpec { get; init; } = "Flat";
        public string? TextField { get; init; }
        public string? IdField { get; init; }
        public CorpusBadRecordAction OnBadRecord { get; init; } = CorpusBadRecordAction.Fail;
        public int Threads { get; init; } = Environment.ProcessorCount;
        public bool Overwrite { get; init; }
    }

    public sealed record Outcome(bool Reused, long Documents, long Chunks, long DuplicateIds, CorpusReadReport Report);

    public static Outcome Run(Options options, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        string indexSpec = VectorIndexFactory.Canonical(options.IndexSpec);
        var sources = CorpusInputs.Parse(options.Inputs, options.TextField, options.IdField);
        var indexed = CorpusInputs.Describe(sources);
        using var embedder = EmbedderFactory.Create(options.Embedder);
        var chunker = new ParagraphChunker(options.ChunkChars, options.ChunkingMode);
        var report = new CorpusReadReport();
        if (ChunkIndex.Exists(options.OutDir))
        {
            var existing = IndexManifest.Read(Path.Combine(options.OutDir, "manifest.json"));
            var planned = existing with
            {
                IndexSpec = indexSpec,
                Embedder = embedder.Spec,
                ChunkChars = chunker.MaxChars,
                ChunkingMode = chunker.Mode.ToString(),
                Sources = indexed,
            };
            if (existing.SameBuildAs(planned) && !options.Overwrite)
                return new Outcome(true, existing.Documents, existing.Chunks, existing.DuplicateIds, report);
            if (!options.Overwrite)
                throw new IOException($"{options.OutDir}: holds an index built from other inputs or settings; pass --overwrite to replace it");
        }
        var readOptions = new CorpusReadOptions { OnBadRecord = options.OnBadRecord };
        var documents = sources.SelectMany((source, i) => CorpusReader.Read(source, readOptions, report, ct).Select(d => (d, i)));
        var builder = new ChunkIndexBuilder(chunker, embedder, options.Threads, indexSpec);
        var result = builder.Build(options.OutDir, indexed, documents, () => report.SkippedTotal, progress, ct);
        return new Outcome(false, result.Documents, result.Chunks, result.DuplicateIds, report);
    }
}
