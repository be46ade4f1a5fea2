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
    public const string VectorsFile = "vectors.flat";
    public const string ManifestFile = "embed.json";

    public sealed record Options
    {
        public required IReadOnlyList<string> Inputs { get; init; }
        public required string OutDir { get; init; }
        public int ChunkChars { get; init; } = ParagraphChunker.DefaultMaxChars;
        public ChunkingMode ChunkingMode { get; init; } = ChunkingMode.Clean;
        public string Embedder { get; init; } = "glove";
        public string? TextField { get; init; }
        public string? IdField { get; init; }
        public CorpusBadRecordAction OnBadRecord { get; init; } = CorpusBadRecordAction.Fail;
        public int Threads { get; init; } = Environment.ProcessorCount;
    }

    public sealed record Outcome(long Documents, long Chunks, long CacheHits, long Embedded, string CacheDir, CorpusReadReport Report);

    /// <summary>embed.json: what the vectors are and how they were made.</summary>
    public sealed record Manifest(string Embedder, int Dimension, int ChunkChars, string ChunkingMode, IReadOnlyList<IndexedSource> Sources,
        long Documents, long Chunks, string Vectors, string Cache);

    /// <summary>Runs the stage; <paramref name="progress"/> receives (documents, chunks) done.</summary>
    public static Outcome Run(Options options, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        var sources = CorpusInputs.Parse(options.Inputs, options.TextField, options.IdField);
        var indexed = CorpusInputs.Describe(sources);
        Directory.CreateDirectory(options.OutDir);
        string spec = options.Embedder.Contains(",cache=", StringComparison.OrdinalIgnoreCase)
            ? options.Embedder
            : $"{options.Embedder},cache={Path.Combine(options.OutDir, "cache")}";
        using var embedder = (CachedEmbedder)EmbedderFactory.Create(spec);
        var chunker = new ParagraphChunker(options.ChunkChars, options.ChunkingMode);
        var report = new CorpusReadReport();
        var readOptions = new CorpusReadOptions { OnBadRecord = options.OnBadRecord };
        int d = embedder.Dimension;
        long documents = 0, chunks = 0;

        using (var writer = new VectorIndexFile.Writer(Path.Combine(options.OutDir, VectorsFile), d))
        {
            var batch = new List<string>(ChunkIndexBuilder.BatchChunks);
            foreach (var document in sources.SelectMany(source => CorpusReader.Read(source, readOptions, report, ct)))
            {
                ct.ThrowIfCancellationRequested();
                string text = chunker.Prepare(document.Text);
                foreach (var chunk in chunker.Chunk(text))
                {
                    // Blank chunks are not indexed either, so vectors stay aligned with the index's chunks.
                    if (!chunk.Of(text).IsWhiteSpace())
                        batch.Add(chunk.Of(text).ToString());
                }
                documents++;
                if (batch.Count >= ChunkIndexBuilder.BatchChunks)
                    Flush();
            }
            Flush();
            writer.Complete();

            void Flush()
            {
                if (batch.Count == 0)
                    return;
                var vectors = new float[batch.Count * d];
                int slices = Math.Max(1, Math.Min(options.Threads, batch.Count));
                Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = options.Threads, CancellationToken = ct }, s =>
                {
                    int from = (int)((long)batch.Count * s / slices), to = (int)((long)batch.Count * (s + 1) / slices);
                    embedder.Embed(batch.GetRange(from, to - from), vectors.AsSpan(from * d, (to - from) * d));
                });
                writer.Append(vectors);
                chunks += batch.Count;
                batch.Clear();
                progress?.Invoke(documents, chunks);
            }
        }

        var manifest = new Manifest(embedder.Spec, d, chunker.MaxChars, chunker.Mode.ToString(), indexed, documents, chunks, VectorsFile, embedder.Cache.Directory);
        AtomicFile.WriteAllText(Path.Combine(options.OutDir, ManifestFile), JsonSerializer.Serialize(manifest, IndexManifest.Json));
        return new Outcome(documents, chunks, embedder.Hits, embedder.Misses, embedder.Cache.Directory, report);
    }
}
