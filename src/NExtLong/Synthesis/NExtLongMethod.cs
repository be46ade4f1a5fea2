using System.Numerics.Tensors;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Retrieval;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// Negative Document Extension for one meta-document (Algorithm 1 lines 28–37): chunk it, mine k hard negatives per
/// meta-chunk, interleave, cut to exactly T tokens, and keep it only when it reaches T (retrying with more negatives).
/// </summary>
internal sealed class NExtLongMethod : ISynthesisMethod
{
    private readonly ChunkIndex _index;
    private readonly IEmbedder? _embedder;
    private readonly bool _storedVectors;
    // A bm25 synthesis over an index that also holds vectors records each negative's cosine with its meta-chunk: the
    // chunk vectors are there already, so the dense view of a lexical dataset costs a dot product per negative.
    private readonly bool _cosines;
    private readonly IChunkRetriever _retriever;
    private readonly SynthesisOptions _options;
    private readonly ParagraphChunker _chunker;
    private readonly NegativeMiner _miner;
    private readonly LongDocumentAssembler _assembler;
    private readonly ChunkTokenCache? _tokenCache;

    /// <param name="index">The chunk index the hard negatives are retrieved from; its manifest gives the chunking s and mode.</param>
    /// <param name="embedder">Embeds the meta-chunks for dense and hybrid retrieval; null when the retriever needs no vectors or they are stored.</param>
    /// <param name="storedVectors">The index holds vectors computed elsewhere (vectors:NAME): meta-documents it holds reuse theirs.</param>
    /// <param name="retriever">Finds each meta-chunk's most similar chunks (dense, bm25 or hybrid).</param>
    /// <param name="tokenizer">The target tokenizer the long document is cut to exactly T tokens in.</param>
    /// <param name="options">T, the oversampling w, attempts, negative selection, placement, thresholds and separator.</param>
    /// <param name="tokenCache">The index chunks' ids in <paramref name="tokenizer"/> with the options' separator, or null.</param>
    public NExtLongMethod(ChunkIndex index, IEmbedder? embedder, bool storedVectors, IChunkRetriever retriever, TargetTokenizer tokenizer, SynthesisOptions options,
        ChunkTokenCache? tokenCache = null)
    {
        _tokenCache = tokenCache;
        _index = index;
        _embedder = embedder;
        _storedVectors = storedVectors;
        _retriever = retriever;
        _cosines = !retriever.ScoresAreCosines && index.Retriever.NeedsVectors();
        _options = options;
        _chunker = new ParagraphChunker(index.Manifest.ChunkChars, Enum.Parse<ChunkingMode>(index.Manifest.ChunkingMode));
        _miner = new NegativeMiner(index, retriever, options.NearDuplicateThreshold);
        _assembler = new LongDocumentAssembler(index, tokenizer, options.Separator, tokenCache);
    }

    /// <remarks><paramref name="ct"/> is checked while embedding, between meta-chunks' searches and between attempts.</remarks>
    public Synthesizer.Outcome Synthesize(MetaDocumentSampler.Candidate candidate, double charsPerToken, CancellationToken ct)
        => Prepare(candidate, charsPerToken, ct) is { } work ? Finish(work, null, ct) : EmptyMetaDocument;

    /// <summary>
    /// A batch of candidates: each prepared (chunked, embedded) on all threads, then one search for all their
    /// meta-chunks where the retriever's results are nested (<see cref="NegativeMiner.SearchFirst"/>: an exact scan
    /// serves the whole batch for the price of one), then mined and assembled on all threads. Each outcome is the one
    /// <see cref="Synthesize"/> gives its candidate alone.
    /// </summary>
    public Synthesizer.Outcome[] SynthesizeAll(IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> which, double charsPerToken, int threads, CancellationToken ct)
    {
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct };
        var prepared = new Prepared?[which.Count];
        Parallel.For(0, which.Count, parallel, i => prepared[i] = Prepare(candidates[which[i]], charsPerToken, ct));
        var searched = prepared.Where(w => w is not null).Select(w => w!).ToList();
        var first = _miner.SearchFirst([.. searched.Select(w => (w.Texts, w.Vectors, w.K, (IReadOnlyList<(long, long)>)w.Own, MetaChunksExpected(w, w.K)))],
            _options.Selection, _options.CandidatePool, threads, ct);
        var firstOf = new Dictionary<Prepared, RankedLists>(ReferenceEqualityComparer.Instance);
        if (first is not null)
            for (int g = 0; g < searched.Count; g++) firstOf[searched[g]] = first[g];
        var results = new Synthesizer.Outcome[which.Count];
        Parallel.For(0, which.Count, parallel, i => results[i] = prepared[i] is { } work ? Finish(work, firstOf.GetValueOrDefault(work), ct) : EmptyMetaDocument);
        return results;
    }

    /// <summary>Whether <see cref="SynthesizeAll"/> makes one first search for its batch (<see cref="NegativeMiner.SearchesInBatches"/>).</summary>
    public bool SharesWorkInBatches => _miner.SearchesInBatches(_options.Selection);

    private static readonly Synthesizer.Outcome EmptyMetaDocument = new(null, DropReason.EmptyMetaDocument);

    /// <summary>What mining needs of one meta-document, worked out once for all its attempts.</summary>
    private sealed record Prepared(MetaDocumentSampler.Candidate Candidate, string Text, List<ChunkSpan> MetaChunks, int MetaChars, int K,
        string[] Texts, float[] Vectors, List<(long, long)> Own, FalseNegativeGuard? Guard, long[]? MetaChunkIds, float[]? CosineVectors, double CharsPerToken);

    /// <summary>
    /// Whether meta-chunks are mined only as far as the cut needs them: the first ones whose interleaving is expected
    /// to pass T, then the rest only when the cut does not fall before what they could change. With the oversampling
    /// w = 1.5 of Eq. 8, a quarter of the meta-chunks' negatives used to be mined and then cut away. The document is
    /// the same either way; only with the paper's placement (head) and the selections that draw nothing at random,
    /// whose negatives and pieces do not depend on the meta-chunks after them.
    /// </summary>
    private bool MinesAsNeeded => _options.Placement == MetaChunkPlacement.Head && _options.Selection is NegativeSelection.TopK or NegativeSelection.TailK;

    /// <summary>
    /// How many meta-chunks the cut is expected to need at k negatives each: the first whose pieces (at the index's
    /// mean chunk length) pass T·E characters; all of them when mining as needed does not apply.
    /// </summary>
    private int MetaChunksExpected(Prepared work, int k)
    {
        int p = work.MetaChunks.Count;
        if (!MinesAsNeeded) return p;
        double needed = (double)_options.TargetTokens * work.CharsPerToken, separator = _options.Separator.Length, chars = 0;
        for (int i = 0; i < p; i++)
        {
            chars += work.MetaChunks[i].Length + separator + k * (_index.MeanChunkBytes + separator);
            if (chars >= needed) return i + 1;
        }
        return p;
    }

    // Null for a meta-document with no meta-chunk.
    private Prepared? Prepare(MetaDocumentSampler.Candidate candidate, double charsPerToken, CancellationToken ct)
    {
        var doc = candidate.Document;
        string text = _chunker.Prepare(doc.Text);
        var metaChunks = _chunker.Chunk(text).Where(c => !c.Of(text).IsWhiteSpace()).ToList();
        if (metaChunks.Count == 0) return null;
        int metaChars = TextLength.Of(text);
        int k = HardNegativeCount.Compute(_options.TargetTokens, charsPerToken, _options.Oversampling, metaChars, metaChunks.Count, _chunker.MaxChars);

        var texts = metaChunks.Select(c => c.Of(text).ToString()).ToArray();
        var vectors = _retriever.NeedsVectors ? new float[metaChunks.Count * _index.Manifest.Dimension] : [];
        long indexed = _storedVectors || _tokenCache is not null || _cosines ? IndexedFirstChunk(doc.Id, text, metaChunks) : -1;
        if (_retriever.NeedsVectors && (!_storedVectors || !StoredVectors(indexed, metaChunks.Count, vectors)))
        {
            if (_embedder is null) throw new InvalidOperationException(WhyNotSynthesizable(doc)!);
            _embedder.Embed(texts, vectors, ct);
        }
        // Every indexed copy of the meta-document (a corpus may repeat an id) is its own, never a negative.
        var ownRange = _index.FindDocuments(doc.Id).Select(_index.Document).Select(d => (d.FirstChunk, d.FirstChunk + (long)d.ChunkCount)).ToList();

        // The meta-document's shingles, once: every candidate of every meta-chunk and attempt is checked against them.
        var guard = _options.Selection == NegativeSelection.SelfRepeat ? null : new FalseNegativeGuard(_index, _options.FalseNegativeThreshold, text, metaChunks);
        // The meta-chunks' ids come from the cache too where the meta-document is indexed as it is chunked here.
        long[]? metaChunkIds = _tokenCache is not null && indexed >= 0 ? [.. Enumerable.Range(0, metaChunks.Count).Select(i => indexed + i)] : null;
        // The meta-chunks' own stored vectors, for the cosines of a bm25 synthesis; none (no cosines) for a
        // meta-document the index does not hold chunk for chunk, since a bm25 synthesis loads no embedder.
        float[]? cosineVectors = null;
        if (_cosines && indexed >= 0) StoredVectors(indexed, metaChunks.Count, cosineVectors = new float[metaChunks.Count * _index.Manifest.Dimension]);
        return new Prepared(candidate, text, metaChunks, metaChars, k, texts, vectors, ownRange, guard, metaChunkIds, cosineVectors, charsPerToken);
    }

    // Mines, assembles and cuts, retrying with more negatives; first: the batch's first search, if it made one.
    private Synthesizer.Outcome Finish(Prepared work, RankedLists? first, CancellationToken ct)
    {
        var (candidate, text, metaChunks) = (work.Candidate, work.Text, work.MetaChunks);
        var doc = candidate.Document;
        int k = work.K;
        var negatives = new List<List<MinedNegative>>();
        var skips = new List<FalseNegativeCounts>();
        for (int attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            // Random choices (ablations only) come from the seed and the meta-document, never from the schedule.
            var random = new Random(unchecked((int)(candidate.Key ^ (candidate.Key >> 32)) ^ attempt));
            // The meta-chunks expected to reach the cut; then, while it is undecided (or short), one more at a time: the
            // expectation is close, and a meta-chunk searched alone costs less than searching all the rest.
            (string Text, List<DocumentSpan> Spans, int[] TokenIds)? assembled;
            int through = MetaChunksExpected(work, k);
            bool resume = false;
            do
            {
                int mined = resume ? negatives.Count : 0;
                _miner.Mine(work.Texts, work.Vectors, k, work.Own, negatives, _options.Selection, _options.CandidatePool, random, work.Guard, ct, first,
                    through, resume, skips);
                if (work.CosineVectors is { } metaVectors) AddCosines(negatives, metaVectors, mined);
                assembled = _assembler.Assemble(text, metaChunks, doc.Id, doc.Source, negatives, _options.TargetTokens, _options.Placement, random, work.MetaChunkIds, out _);
                resume = true;
                through = negatives.Count + 1;
            }
            while (assembled is null && negatives.Count < metaChunks.Count);
            if (assembled is { } a)
            {
                // The skips of the meta-chunks the document holds: what was passed over to choose its negatives,
                // whichever meta-chunks beyond the cut were mined.
                int held = a.Spans.Max(span => span.MetaChunk) + 1;
                var skipped = skips.Take(held).Aggregate(new FalseNegativeCounts(), (sum, x) => sum + x);
                return new Synthesizer.Outcome(new SynthesizedDocument(a.Text, _options.TargetTokens, doc.Id, doc.Source, work.MetaChars,
                    metaChunks.Count, k, attempt, skipped.NearDuplicateCosine, skipped, a.Spans) { TokenIds = a.TokenIds }, null);
            }
            // The index ran dry: more retrieval cannot help.
            if (negatives.Any(l => l.Count < k)) return new Synthesizer.Outcome(null, DropReason.ShortIndexExhausted);
            k += Math.Max(1, (k + 1) / 2);
        }
        return new Synthesizer.Outcome(null, DropReason.ShortAfterRetries);
    }

    /// <summary>
    /// Why a meta-document cannot be synthesized without an embedder (an index of vectors computed elsewhere that does
    /// not hold it, chunk for chunk); null when it can.
    /// </summary>
    public string? WhyNotSynthesizable(CorpusDocument doc)
    {
        if (_embedder is not null || !_storedVectors) return null;
        string text = _chunker.Prepare(doc.Text);
        var metaChunks = _chunker.Chunk(text).Where(c => !c.Of(text).IsWhiteSpace()).ToList();
        if (metaChunks.Count == 0 || IndexedFirstChunk(doc.Id, text, metaChunks) >= 0) return null;
        return $"meta-document '{doc.Id}' ({doc.Source}) is not in the index as it is now, and the index holds vectors computed elsewhere "
            + $"({_index.Manifest.Embedder}) with no model to embed new text; synthesize from the corpus the index was built from, or pass --embedder with the model that made the vectors";
    }

    // The meta-document as indexed: the first chunk of the first indexed document of its id whose chunks are its
    // meta-chunks, text for text (found by id, as the miner finds own chunks); -1 when there is none.
    private long IndexedFirstChunk(string id, string text, List<ChunkSpan> metaChunks)
    {
        foreach (var record in _index.FindDocuments(id).Select(_index.Document))
        {
            if (record.ChunkCount != metaChunks.Count) continue;
            bool same = true;
            for (int i = 0; i < metaChunks.Count && same; i++)
                same = metaChunks[i].Of(text).SequenceEqual(_index.ChunkText(record.FirstChunk + i));
            if (same) return record.FirstChunk;
        }
        return -1;
    }

    // Each negative's cosine with its meta-chunk (row i of metaVectors), from meta-chunk from on; a self-repeat copy
    // has no chunk of its own.
    private void AddCosines(List<List<MinedNegative>> negatives, float[] metaVectors, int from)
    {
        int d = _index.Manifest.Dimension;
        var vector = new float[d];
        for (int i = from; i < negatives.Count; i++)
        {
            var list = negatives[i];
            for (int r = 0; r < list.Count; r++)
            {
                if (list[r].ChunkId == NegativeMiner.MetaChunkItself) continue;
                _index.ReadVector(list[r].ChunkId, vector);
                list[r] = list[r] with { Cosine = TensorPrimitives.Dot(metaVectors.AsSpan(i * d, d), vector) };
            }
        }
    }

    // A meta-document of a vectors: index reuses its own chunks' stored vectors, where it is indexed.
    private bool StoredVectors(long firstChunk, int chunks, float[] vectors)
    {
        if (firstChunk < 0) return false;
        int d = _index.Manifest.Dimension;
        for (int i = 0; i < chunks; i++) _index.ReadVector(firstChunk + i, vectors.AsSpan(i * d, d));
        return true;
    }
}
