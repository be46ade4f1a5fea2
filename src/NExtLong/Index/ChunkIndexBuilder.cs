using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Retrieval;

namespace NExtLong.Index;

/// <summary>
/// Builds the paper's retrieval index (section 3.1.2, Algorithm 1 lines 26–27): every corpus document is chunked
/// with the same granularity s as the meta-documents and each chunk is embedded and added on its own, with its
/// word 5-gram shingles for the false-negative guard. Documents
/// stream through in batches; a batch's chunks are embedded on all threads and written in reading order, so the
/// index is the same for any thread count and memory stays at one batch. A batch never spans two work units (input
/// files), so a unit's vectors are the same whether it is built alone by one rank or with all the others.
/// Without an embedder (the bm25 retriever) no vectors are written; with <paramref name="lexical"/> the chunks also
/// go into lexical.bm25.
/// </summary>
internal sealed class ChunkIndexBuilder(ParagraphChunker chunker, IChunkVectorSource? vectors, string indexSpec = "Flat", int threads = 1,
    Retrieval.Bm25Settings? lexical = null)
{
    /// <summary>Chunks embedded together: large enough to keep every thread busy, small enough to bound memory.</summary>
    public const int BatchChunks = 2048;

    /// <summary>Chunks embedded by <paramref name="embedder"/> (none: an index without vectors, for BM25 alone).</summary>
    public ChunkIndexBuilder(ParagraphChunker chunker, IEmbedder? embedder, int threads, string indexSpec = "Flat", Retrieval.Bm25Settings? lexical = null)
        : this(chunker, embedder is null ? null : new EmbeddedChunkVectors(embedder, threads), indexSpec, threads, lexical)
    {
    }

    /// <summary>The embedder a manifest names for an index without vectors.</summary>
    public const string NoEmbedder = "none";

    public sealed record Result(long Documents, long Chunks, long BlankChunksSkipped, long DocumentsWithoutChunks, long DuplicateIds);

    /// <summary>Builds the index folder <paramref name="dir"/>; <paramref name="progress"/> receives (documents, chunks) done.</summary>
    public Result Build(string dir, IReadOnlyList<IndexedSource> sources, IEnumerable<(CorpusDocument Document, int Source, int Unit)> documents,
        Func<long> skippedRecords, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        using var writer = new ChunkIndexWriter(dir, vectors?.Dimension ?? 0, indexSpec, threads, ct, lexical);
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
            var spans = IndexedChunks(chunker, text, out int blankHere);
            blank += blankHere;
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
        vectors?.Complete();
        long documentCount = writer.DocumentCount, chunks = writer.ChunkCount;
        writer.Complete(checksums => Manifest(writer, indexSpec, vectors, lexical, chunker, sources, blank, withoutChunks, skippedRecords(), checksums));
        return new Result(documentCount, chunks, blank, withoutChunks, writer.DuplicateIds);

        void Flush()
        {
            if (pending.Count == 0) return;
            var texts = new List<string>(pendingChunks);
            foreach (var p in pending)
                foreach (var c in p.Chunks) texts.Add(c.Of(p.Text).ToString());
            int d = vectors?.Dimension ?? 0;
            var batch = new float[texts.Count * d];
            vectors?.Fill(texts, batch, ct);
            var shingles = new ulong[texts.Count][];
            Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, i => shingles[i] = Shingles.Of(texts[i]));
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
                    writer.AddChunk(document, c.Of(p.Text), charStart, charLength, batch.AsSpan(row * d, d), shingles[row]);
                    charStart += charLength;
                    counted = c.End;
                    row++;
                }
            }
            pending.Clear();
            pendingChunks = 0;
        }
    }

    /// <summary>
    /// The chunks of a prepared document (<see cref="ParagraphChunker.Prepare"/>) that the index holds: the chunker's,
    /// less blank ones (Python-compat chunking can yield empty or blank chunks; a blank text has no meaningful
    /// vector). Every stage whose rows must line up with the index's chunk ids (embed, chunks) cuts through here.
    /// </summary>
    public static List<ChunkSpan> IndexedChunks(ParagraphChunker chunker, string text, out int blank)
    {
        var spans = chunker.Chunk(text);
        int before = spans.Count;
        spans.RemoveAll(c => c.Of(text).IsWhiteSpace());
        blank = before - spans.Count;
        return spans;
    }

    /// <summary>The manifest of a folder <paramref name="writer"/> has filled (its counts and duplicate ids) — for a build, and for a merge of built pieces.</summary>
    internal static IndexManifest Manifest(ChunkIndexWriter writer, string indexSpec, IChunkVectorSource? vectors, Retrieval.Bm25Settings? lexical, ParagraphChunker chunker,
        IReadOnlyList<IndexedSource> sources, long blankChunks, long documentsWithoutChunks, long skippedRecords, IReadOnlyDictionary<string, string> checksums) => new()
    {
        IndexSpec = indexSpec,
        Retriever = (vectors is null ? Retrieval.RetrieverKind.Bm25 : lexical is null ? Retrieval.RetrieverKind.Dense : Retrieval.RetrieverKind.Hybrid).Name(),
        Lexical = lexical,
        Embedder = vectors?.Spec ?? NoEmbedder,
        Dimension = vectors?.Dimension ?? 0,
        ImportedVectors = vectors?.Imported,
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
