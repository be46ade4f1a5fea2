using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Retrieval;

namespace NExtLong.Index;

/// <summary>
/// Builds the paper's retrieval index (section 3.1.2, Algorithm 1 lines 26–27): every corpus document is chunked
/// with the same granularity s as the meta-documents and each chunk is embedded and added on its own. Documents
/// stream through in batches; a batch's chunks are embedded on all threads and written in reading order, so the
/// index is the same for any thread count and memory stays at one batch. A batch never spans two work units (input
/// files), so a unit's vectors are the same whether it is built alone by one rank or with all the others.
/// Without an embedder (the bm25 retriever) no vectors are written; with <paramref name="lexical"/> the chunks also
/// go into lexical.bm25.
/// </summary>
public sealed class ChunkIndexBuilder(ParagraphChunker chunker, IEmbedder? embedder, int threads, string indexSpec = "Flat",
    Retrieval.Bm25Settings? lexical = null)
{
    /// <summary>Chunks embedded together: large enough to keep every thread busy, small enough to bound memory.</summary>
    public const int BatchChunks = 2048;

    /// <summary>The embedder a manifest names for an index without vectors.</summary>
    public const string NoEmbedder = "none";

    public sealed record Result(long Documents, long Chunks, long BlankChunksSkipped, long DocumentsWithoutChunks, long DuplicateIds);

    /// <summary>Builds the index folder <paramref name="dir"/>; <paramref name="progress"/> receives (documents, chunks) done.</summary>
    public Result Build(string dir, IReadOnlyList<IndexedSource> sources, IEnumerable<(CorpusDocument Document, int Source, int Unit)> documents,
        Func<long> skippedRecords, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        using var writer = new ChunkIndexWriter(dir, embedder?.Dimension ?? 0, indexSpec, threads, ct, lexical);
        var pending = new List<(CorpusDocument Doc, int Source, string Text, List<ChunkSpan> Chunks)>();
        int pendingChunks = 0;
        long blank = 0, withoutChunks = 0;
        int unit = -1;
        foreach (var (doc, source, docUnit) in documents)
        {
            ct.ThrowIfCancellationRequested();
            if (docUnit != unit)
            {
                Flush();
                unit = docUnit;
            }
            string text = chunker.Prepare(doc.Text);
            var spans = chunker.Chunk(text);
            // Python-compat chunking can yield empty or blank chunks; a blank text has no meaningful vector.
            int before = spans.Count;
            spans.RemoveAll(c => c.Of(text).IsWhiteSpace());
            blank += before - spans.Count;
            if (spans.Count == 0) withoutChunks++;
            pending.Add((doc, source, text, spans));
            pendingChunks += spans.Count;
            if (pendingChunks >= BatchChunks)
            {
                Flush();
                progress?.Invoke(writer.DocumentCount, writer.ChunkCount);
            }
        }
        Flush();
        progress?.Invoke(writer.DocumentCount, writer.ChunkCount);
        long documentCount = writer.DocumentCount, chunks = writer.ChunkCount;
        writer.Complete(checksums => Manifest(writer, indexSpec, embedder, lexical, chunker, sources, blank, withoutChunks, skippedRecords(), checksums));
        return new Result(documentCount, chunks, blank, withoutChunks, writer.DuplicateIds);

        void Flush()
        {
            if (pending.Count == 0) return;
            var texts = new List<string>(pendingChunks);
            foreach (var p in pending)
                foreach (var c in p.Chunks) texts.Add(c.Of(p.Text).ToString());
            int d = embedder?.Dimension ?? 0;
            var vectors = new float[texts.Count * d];
            int slices = Math.Max(1, Math.Min(threads, texts.Count));
            if (embedder is not null)
                Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, s =>
                {
                    int from = (int)((long)texts.Count * s / slices), to = (int)((long)texts.Count * (s + 1) / slices);
                    embedder.Embed(texts.GetRange(from, to - from), vectors.AsSpan(from * d, (to - from) * d), ct);
                });
            int row = 0;
            foreach (var p in pending)
            {
                int document = writer.AddDocument(p.Doc.Id, p.Source, p.Chunks.Count);
                // Character offsets are counted on from the previous chunk: recounting from the document start
                // would be quadratic in the length of a huge document.
                int counted = 0, charStart = 0;
                foreach (var c in p.Chunks)
                {
                    charStart += TextLength.Of(p.Text.AsSpan(counted, c.Start - counted));
                    int charLength = TextLength.Of(c.Of(p.Text));
                    writer.AddChunk(document, c.Of(p.Text), charStart, charLength, vectors.AsSpan(row * d, d));
                    charStart += charLength;
                    counted = c.End;
                    row++;
                }
            }
            pending.Clear();
            pendingChunks = 0;
        }
    }

    /// <summary>The manifest of a folder <paramref name="writer"/> has filled (its counts and duplicate ids) — for a build, and for a merge of built pieces.</summary>
    internal static IndexManifest Manifest(ChunkIndexWriter writer, string indexSpec, IEmbedder? embedder, Retrieval.Bm25Settings? lexical, ParagraphChunker chunker,
        IReadOnlyList<IndexedSource> sources, long blankChunks, long documentsWithoutChunks, long skippedRecords, IReadOnlyDictionary<string, string> checksums) => new()
    {
        IndexSpec = indexSpec,
        Retriever = (embedder is null ? Retrieval.RetrieverKind.Bm25 : lexical is null ? Retrieval.RetrieverKind.Dense : Retrieval.RetrieverKind.Hybrid).Name(),
        Lexical = lexical,
        Embedder = embedder?.Spec ?? NoEmbedder,
        Dimension = embedder?.Dimension ?? 0,
        ChunkChars = chunker.MaxChars,
        ChunkingMode = chunker.Mode.ToString(),
        Sources = sources,
        Documents = writer.DocumentCount,
        Chunks = writer.ChunkCount,
        DuplicateIds = writer.DuplicateIds,
        BlankChunksSkipped = blankChunks,
        DocumentsWithoutChunks = documentsWithoutChunks,
        SkippedRecords = skippedRecords,
        FileChecksums = checksums,
    };
}
