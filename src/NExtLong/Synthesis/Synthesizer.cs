using NExtLong.Chunking;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Output;
using NExtLong.Retrieval;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// Negative Document Extension over a set of meta-documents (Algorithm 1 lines 28–37): chunk each one, mine k
/// hard negatives per meta-chunk, interleave, cut to exactly T tokens, and keep it only when it reaches T.
/// Meta-documents are worked on in parallel but accepted strictly in candidate order, so the output is the same
/// for any thread count.
/// </summary>
public sealed class Synthesizer : IDisposable
{
    private readonly ChunkIndex _index;
    private readonly IEmbedder? _embedder;
    private readonly IChunkRetriever _retriever;
    private readonly TargetTokenizer _tokenizer;
    private readonly SynthesisOptions _options;
    private readonly ParagraphChunker _chunker;
    private readonly NegativeMiner _miner;
    private readonly LongDocumentAssembler _assembler;
    private readonly BaselineSynthesizer? _baseline;

    /// <param name="embedder">The index's embedder; null when the retriever needs no vectors (bm25).</param>
    /// <param name="ct">Stops work done once for all candidates (QUEST's keyword groups); per-candidate work takes its own token.</param>
    public Synthesizer(ChunkIndex index, IEmbedder? embedder, TargetTokenizer tokenizer, SynthesisOptions options, CancellationToken ct = default)
    {
        _retriever = ChunkRetrievers.Open(index, options.Retriever ?? index.Retriever);
        if (_retriever.NeedsVectors && embedder is null)
            throw new ArgumentException($"the {_retriever.Kind.Name()} retriever needs the index's embedder '{index.Manifest.Embedder}'");
        if (embedder is not null && (embedder.Spec != index.Manifest.Embedder || embedder.Dimension != index.Manifest.Dimension))
            throw new ArgumentException($"embedder '{embedder.Spec}' ({embedder.Dimension}-d) does not match the index, built with '{index.Manifest.Embedder}' ({index.Manifest.Dimension}-d)");
        _index = index;
        _embedder = embedder;
        _tokenizer = tokenizer;
        _options = options;
        _chunker = new ParagraphChunker(index.Manifest.ChunkChars, Enum.Parse<ChunkingMode>(index.Manifest.ChunkingMode));
        _miner = new NegativeMiner(index, _retriever, options.NearDuplicateThreshold);
        _assembler = new LongDocumentAssembler(index, tokenizer, options.Separator);
        if (options.Method != SynthesisMethod.NExtLong) _baseline = new BaselineSynthesizer(index, tokenizer, options, options.Method, ct);
    }

    /// <summary>
    /// Measures E, the characters per token of the target tokenizer, on index chunks spread evenly over the corpus.
    /// </summary>
    public (double CharsPerToken, long Chars, long Tokens) MeasureEncodingRate(CancellationToken ct = default)
    {
        long n = _index.ChunkCount;
        if (n == 0) throw new InvalidOperationException($"{_index.Directory}: the index holds no chunks");
        long chars = 0, tokens = 0;
        double meanChunkChars = Math.Max(1, (double)_index.Manifest.ChunkChars / 2);
        long stride = Math.Max(1, (long)(n / Math.Max(1, _options.EncodingRateSampleChars / meanChunkChars)));
        for (long id = 0, sampled = 0; id < n && chars < _options.EncodingRateSampleChars; id += stride, sampled++)
        {
            if (sampled % 64 == 0) ct.ThrowIfCancellationRequested();
            string text = _index.ChunkText(id);
            chars += TextLength.Of(text);
            tokens += _tokenizer.CountTokens(text);
        }
        return (tokens == 0 ? 1 : (double)chars / tokens, chars, tokens);
    }

    /// <summary>The outcome for one candidate: a document, or the reason it was dropped.</summary>
    public sealed record Outcome(SynthesizedDocument? Document, string? DropReason);

    /// <remarks><paramref name="ct"/> is checked while embedding, between meta-chunks' searches and between attempts.</remarks>
    public Outcome Synthesize(MetaDocumentSampler.Candidate candidate, double charsPerToken, CancellationToken ct = default)
    {
        if (_baseline is not null) return _baseline.Synthesize(candidate, charsPerToken, ct);
        var doc = candidate.Document;
        string text = _chunker.Prepare(doc.Text);
        var metaChunks = _chunker.Chunk(text).Where(c => !c.Of(text).IsWhiteSpace()).ToList();
        if (metaChunks.Count == 0) return new Outcome(null, "empty_meta_document");
        int metaChars = TextLength.Of(text);
        int k = HardNegativeCount.Compute(_options.TargetTokens, charsPerToken, _options.Oversampling, metaChars, metaChunks.Count, _chunker.MaxChars);

        var texts = metaChunks.Select(c => c.Of(text).ToString()).ToArray();
        var vectors = _retriever.NeedsVectors ? new float[metaChunks.Count * _embedder!.Dimension] : [];
        if (_retriever.NeedsVectors) _embedder!.Embed(texts, vectors, ct);
        // Every indexed copy of the meta-document (a corpus may repeat an id) is its own, never a negative.
        var ownRange = _index.FindDocuments(doc.Id).Select(_index.Document).Select(d => (d.FirstChunk, d.FirstChunk + (long)d.ChunkCount)).ToList();

        var negatives = new List<List<MinedNegative>>();
        for (int attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            // Random choices (ablations only) come from the seed and the meta-document, never from the schedule.
            var random = new Random(unchecked((int)(candidate.Key ^ (candidate.Key >> 32)) ^ attempt));
            int nearDuplicates = _miner.Mine(texts, vectors, k, ownRange, negatives, _options.Selection, _options.CandidatePool, random, ct);
            var assembled = _assembler.Assemble(text, metaChunks, doc.Id, doc.Source, negatives, _options.TargetTokens, _options.Placement, random);
            if (assembled is { } a)
                return new Outcome(new SynthesizedDocument(a.Text, _options.TargetTokens, doc.Id, doc.Source, metaChars,
                    metaChunks.Count, k, attempt, nearDuplicates, a.Spans), null);
            // The index ran dry: more retrieval cannot help.
            if (negatives.Any(l => l.Count < k)) return new Outcome(null, "short_index_exhausted");
            k += Math.Max(1, (k + 1) / 2);
        }
        return new Outcome(null, "short_after_retries");
    }

    /// <summary>
    /// Synthesizes until every source has its quota of documents or the candidates run out, writing documents in
    /// acceptance order. Every <see cref="SynthesisOptions.DocumentsPerPart"/> documents the writer checkpoints and
    /// <paramref name="checkpoint"/> receives the state to resume from; the points do not depend on interruptions,
    /// so a resumed run writes exactly what an uninterrupted one does. <paramref name="progress"/> gets
    /// (written, tried) after each batch.
    /// </summary>
    /// <param name="outcomes">Where the outcomes of a batch of candidates (increasing indexes) come from: by default
    /// they are synthesized here; a distributed merge reads the ones its ranks made.</param>
    public SynthesisStats Run(IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> quotas,
        IDatasetWriter writer, SynthesisProgress? resume = null, Action<SynthesisProgress>? checkpoint = null,
        Action<int, int>? progress = null, CancellationToken ct = default, Func<IReadOnlyList<int>, Outcome[]>? outcomes = null)
    {
        var state = resume ?? StartState(quotas, ct);
        var stats = state.Stats;
        var remaining = state.Remaining;
        int threads = Math.Max(1, _options.Threads);
        int batchSize = threads * 2;
        int next = state.NextCandidate;
        double e = stats.EncodingRateCharsPerToken;
        while (next < candidates.Count && remaining.Any(r => r > 0))
        {
            ct.ThrowIfCancellationRequested();
            int batchStart = next;
            var batch = new List<int>(batchSize);
            for (; batch.Count < batchSize && next < candidates.Count; next++)
                if (remaining[candidates[next].SourceIndex] > 0) batch.Add(next);
            var results = outcomes?.Invoke(batch) ?? SynthesizeAll(candidates, batch, e, ct);
            // Accept strictly in candidate order; stop counting the moment every quota is met, so the counts
            // depend only on the candidates before that point.
            var outcomeOf = batch.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => results[x.i]);
            for (int c = batchStart; c < next && remaining.Any(r => r > 0); c++)
            {
                var candidate = candidates[c];
                state.NextCandidate = c + 1;
                if (remaining[candidate.SourceIndex] == 0)
                {
                    stats.CandidatesSkippedSourceFull++;
                    continue;
                }
                stats.CandidatesTried++;
                var outcome = outcomeOf[c] ?? throw new InvalidOperationException($"candidate {c}: no outcome (its block was skipped as not needed, yet a quota is still open)");
                if (outcome.Document is not { } doc)
                {
                    stats.Drop(outcome.DropReason!);
                    continue;
                }
                writer.Write($"nextlong-{stats.DocumentsWritten:D8}", doc);
                stats.Add(doc);
                remaining[candidate.SourceIndex]--;
                if (stats.DocumentsWritten % _options.DocumentsPerPart == 0)
                {
                    state.Writer = writer.Checkpoint();
                    checkpoint?.Invoke(state);
                }
            }
            next = state.NextCandidate;
            progress?.Invoke(stats.DocumentsWritten, stats.CandidatesTried);
        }
        return stats;
    }

    /// <summary>The outcomes of the given candidates, synthesized on all threads; each depends only on its candidate and E.</summary>
    public Outcome[] SynthesizeAll(IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> which, double charsPerToken, CancellationToken ct = default)
    {
        var results = new Outcome[which.Count];
        Parallel.For(0, which.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Threads), CancellationToken = ct },
            i => results[i] = Synthesize(candidates[which[i]], charsPerToken, ct));
        return results;
    }

    public void Dispose() => (_retriever as IDisposable)?.Dispose();

    private SynthesisProgress StartState(IReadOnlyList<int> quotas, CancellationToken ct)
    {
        var stats = new SynthesisStats();
        var (e, chars, tokens) = MeasureEncodingRate(ct);
        stats.EncodingRateCharsPerToken = e;
        stats.EncodingRateSampleChars = chars;
        stats.EncodingRateSampleTokens = tokens;
        return new SynthesisProgress { Stats = stats, Remaining = [.. quotas] };
    }
}
