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
/// index is the same for any thread count, while the next batch is read, chunked and shingled on a thread of its own
/// (<see cref="ReadAhead"/>), so the embedder does not wait for the corpus; memory holds
/// <see cref="BatchesAhead"/> + 2 batches. A batch never spans two work units (input
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

    /// <summary>Batches read ahead of the one being embedded: reading and chunking the next batch overlaps embedding this one.</summary>
    public const int BatchesAhead = 1;

    /// <summary>Builds the index folder <paramref name="dir"/>; <paramref name="progress"/> receives (documents, chunks) done.</summary>
    /// <param name="dir">The index folder to write.</param>
    /// <param name="sources">The corpus sources, by name and file content, for the manifest.</param>
    /// <param name="fields">The fields each source was read by, for the manifest.</param>
    /// <param name="documents">Every document in index order, with its source's and its work unit's number.</param>
    /// <param name="skippedRecords">How many bad records the reading skipped, asked once all documents are read, for the manifest.</param>
    /// <param name="progress">Receives (documents, chunks) done.</param>
    /// <param name="ct">Stops the build (checked for every document read and inside the writer).</param>
    public Result Build(string dir, IReadOnlyList<IndexedSource> sources, IReadOnlyList<IndexedFields> fields, IEnumerable<(CorpusDocument Document, int Source, int Unit)> documents,
        Func<long> skippedRecords, Action<long, long>? progress = null, CancellationToken ct = default)
    {
        using var writer = new ChunkIndexWriter(dir, vectors?.Dimension ?? 0, indexSpec, threads, ct, lexical);
        long blank = 0, withoutChunks = 0;
        int d = vectors?.Dimension ?? 0;
        var gaps = new System.Buffers.ArrayBufferWriter<byte>();
        // Reading, chunking and shingling run on a thread of their own, a batch ahead of embedding and writing; the
        // batches are the ones a serial build cuts, consumed in order, so the index is the same bytes.
        foreach (var batch in ReadAhead.Of(Batches(documents, ct), BatchesAhead, "nextlong index reader", ct))
        {
            var embedded = new float[batch.Texts.Count * d];
            vectors?.Fill(batch.Texts, embedded, ct);
            int row = 0;
            foreach (var p in batch.Documents)
            {
                gaps.ResetWrittenCount();
                DocumentGaps.Encode(p.Text, p.Chunks, gaps);
                int document = writer.AddDocument(p.Doc.Id, p.Source, p.Chunks.Count, p.Unit, p.Doc.Record, gaps.WrittenSpan);
                // Character offsets are counted on from the previous chunk: recounting from the document start
                // would be quadratic in the length of a huge document.
                int counted = 0, charStart = 0;
                foreach (var c in p.Chunks)
                {
                    charStart += TextLength.Of(p.Text.AsSpan(counted, c.Start - counted));
                    int charLength = TextLength.Of(c.Of(p.Text));
                    writer.AddChunk(document, c.Of(p.Text), charStart, charLength, embedded.AsSpan(row * d, d), batch.Shingles[row]);
                    charStart += charLength;
                    counted = c.End;
                    row++;
                }
            }
            blank += batch.Blank;
            withoutChunks += batch.WithoutChunks;
            progress?.Invoke(writer.DocumentCount, writer.ChunkCount);
        }
        vectors?.Complete();
        long documentCount = writer.DocumentCount, chunks = writer.ChunkCount;
        writer.Complete(checksums => Manifest(writer, indexSpec, vectors, lexical, chunker, sources, fields, blank, withoutChunks, skippedRecords(), checksums));
        return new Result(documentCount, chunks, blank, withoutChunks, writer.DuplicateIds);
    }

    /// <summary>Documents, chunked, in batches of at least <see cref="BatchChunks"/> chunks (fewer at a unit's end: a batch never spans two units).</summary>
    private IEnumerable<Batch> Batches(IEnumerable<(CorpusDocument Document, int Source, int Unit)> documents, CancellationToken ct)
    {
        var pending = new List<(CorpusDocument Doc, int Source, int Unit, string Text, List<ChunkSpan> Chunks)>();
        int pendingChunks = 0, unit = -1;
        long blank = 0, withoutChunks = 0;
        foreach (var (doc, source, docUnit) in documents)
        {
            ct.ThrowIfCancellationRequested();
            if (docUnit != unit && pending.Count > 0)
                yield return Cut();
            unit = docUnit;
            string text = chunker.Prepare(doc.Text);
            var spans = IndexedChunks(chunker, text, out int blankHere);
            blank += blankHere;
            if (spans.Count == 0) withoutChunks++;
            pending.Add((doc, source, docUnit, text, spans));
            pendingChunks += spans.Count;
            if (pendingChunks >= BatchChunks)
                yield return Cut();
        }
        if (pending.Count > 0)
            yield return Cut();

        Batch Cut()
        {
            var texts = new List<string>(pendingChunks);
            foreach (var p in pending)
                foreach (var c in p.Chunks) texts.Add(c.Of(p.Text).ToString());
            var shingles = new ulong[texts.Count][];
            Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, i => shingles[i] = Shingles.Of(texts[i]));
            var batch = new Batch([.. pending], texts, shingles, blank, withoutChunks);
            pending.Clear();
            pendingChunks = 0;
            blank = withoutChunks = 0;
            return batch;
        }
    }

    /// <summary>One batch: its documents with their chunks, the chunk texts and shingles in order, and what chunking left out.</summary>
    private sealed record Batch(List<(CorpusDocument Doc, int Source, int Unit, string Text, List<ChunkSpan> Chunks)> Documents, List<string> Texts, ulong[][] Shingles,
        long Blank, long WithoutChunks);

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
        IReadOnlyList<IndexedSource> sources, IReadOnlyList<IndexedFields> fields, long blankChunks, long documentsWithoutChunks, long skippedRecords,
        IReadOnlyDictionary<string, string> checksums) => new()
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
        Fields = fields,
        Documents = writer.DocumentCount,
        Chunks = writer.ChunkCount,
        DuplicateIds = writer.DuplicateIds,
        BlankChunksSkipped = blankChunks,
        DocumentsWithoutChunks = documentsWithoutChunks,
        SkippedRecords = skippedRecords,
        FileChecksums = checksums,
    };
}
