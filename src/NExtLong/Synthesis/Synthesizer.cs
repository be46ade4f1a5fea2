using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Output;
using NExtLong.Retrieval;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// Synthesis over a set of meta-documents with the configured method (<see cref="NExtLongMethod"/>, Algorithm 1
/// lines 28–37, or a baseline): what a run shares (index, retriever, tokenizer, E), one document at a time for
/// library users, and the dataset loop. Meta-documents are worked on in parallel but accepted strictly in
/// candidate order, so the output is the same for any thread count.
/// </summary>
public sealed class Synthesizer : IDisposable
{
    private readonly ChunkIndex _index;
    private readonly IChunkRetriever _retriever;
    private readonly TargetTokenizer _tokenizer;
    private readonly SynthesisOptions _options;
    private readonly ISynthesisMethod _method;

    /// <param name="ct">Stops work done once for all candidates (QUEST's keyword groups); per-candidate work takes its own token.</param>
    /// <param name="embedder">Embeds meta-chunks: the index's own embedder (null when the retriever needs no vectors); for
    /// an index of vectors computed elsewhere (vectors:NAME) null, or the model that made them for meta-documents the
    /// index does not hold.</param>
    public Synthesizer(ChunkIndex index, IEmbedder? embedder, TargetTokenizer tokenizer, SynthesisOptions options, CancellationToken ct = default)
    {
        _retriever = ChunkRetrievers.Open(index, options.Retriever ?? index.Retriever);
        bool storedVectors = External.ImportedVectors.IsSpec(index.Manifest.Embedder);
        if (embedder is null ? _retriever.NeedsVectors && !storedVectors && options.Method == SynthesisMethod.NExtLong
                : embedder.Dimension != index.Manifest.Dimension || (!storedVectors && embedder.Spec != index.Manifest.Embedder))
            throw new ArgumentException($"embedder '{embedder?.Spec ?? "(none)"}' ({embedder?.Dimension ?? 0}-d) does not match the index, built with '{index.Manifest.Embedder}' ({index.Manifest.Dimension}-d)");
        _index = index;
        _tokenizer = tokenizer;
        _options = options;
        _method = options.Method == SynthesisMethod.NExtLong
            ? new NExtLongMethod(index, embedder, storedVectors, _retriever, tokenizer, options)
            : new BaselineSynthesizer(index, tokenizer, options, options.Method, ct);
    }

    /// <summary>
    /// Measures E, the characters per token of the target tokenizer, on index chunks spread evenly over the corpus.
    /// The chunks are chosen first, then counted on all threads (integer sums: the same E for any thread count).
    /// </summary>
    public (double CharsPerToken, long Chars, long Tokens) MeasureEncodingRate(CancellationToken ct = default)
    {
        long n = _index.ChunkCount;
        if (n == 0) throw new InvalidOperationException($"{_index.Directory}: the index holds no chunks");
        long chars = 0, tokens = 0;
        double meanChunkChars = Math.Max(1, (double)_index.Manifest.ChunkChars / 2);
        long stride = Math.Max(1, (long)(n / Math.Max(1, _options.EncodingRateSampleChars / meanChunkChars)));
        var sample = new List<string>();
        for (long id = 0, sampled = 0; id < n && chars < _options.EncodingRateSampleChars; id += stride, sampled++)
        {
            if (sampled % 64 == 0) ct.ThrowIfCancellationRequested();
            string text = _index.ChunkText(id);
            chars += TextLength.Of(text);
            sample.Add(text);
        }
        Parallel.For(0, sample.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Threads), CancellationToken = ct }, () => 0L,
            (i, _, sum) => sum + _tokenizer.CountTokens(sample[i]), sum => Interlocked.Add(ref tokens, sum));
        return (tokens == 0 ? 1 : (double)chars / tokens, chars, tokens);
    }

    /// <summary>The outcome for one candidate: a document, or the reason it was dropped.</summary>
    public sealed record Outcome(SynthesizedDocument? Document, string? DropReason);

    /// <summary>Measures E once for a run (<see cref="MeasureEncodingRate"/>), for <see cref="Synthesize(CorpusDocument, SynthesisContext, CancellationToken)"/>.</summary>
    public SynthesisContext MeasureContext(CancellationToken ct = default) => new(MeasureEncodingRate(ct).CharsPerToken);

    /// <summary>
    /// The library entry point: one meta-document in, its long document (or why none could be made) out. Random
    /// choices are seeded by <see cref="SynthesisOptions.Seed"/> and the document's id, exactly as in a dataset run,
    /// so the same document gives the same result here and in `synthesize`.
    /// </summary>
    public Outcome Synthesize(CorpusDocument document, SynthesisContext context, CancellationToken ct = default)
        => Synthesize(new MetaDocumentSampler.Candidate(document, 0, MetaDocumentSampler.KeyOf(_options.Seed, document.Id)), context.CharsPerToken, ct);

    /// <summary>One candidate's outcome, by the configured method (NExtLong or a baseline).</summary>
    /// <remarks><paramref name="ct"/> is checked while embedding, between meta-chunks' searches and between attempts.</remarks>
    public Outcome Synthesize(MetaDocumentSampler.Candidate candidate, double charsPerToken, CancellationToken ct = default)
        => _method.Synthesize(candidate, charsPerToken, ct);

    /// <summary>Why a meta-document cannot be synthesized before trying (a vectors: index that does not hold it and no embedder); null when it can.</summary>
    public string? WhyNotStored(CorpusDocument doc) => _method.WhyNotSynthesizable(doc);

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
        // With more than one thread the writers' work (JSON, compression, shards) runs on a thread of its own while
        // the workers synthesize the next batch; it still receives the documents in acceptance order.
        using var background = threads > 1 ? new BackgroundDatasetWriter(writer, capacity: batchSize) : null;
        IDatasetWriter output = (IDatasetWriter?)background ?? writer;
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
                output.Write($"nextlong-{stats.DocumentsWritten:D8}", doc);
                stats.Add(doc);
                remaining[candidate.SourceIndex]--;
                if (stats.DocumentsWritten % _options.DocumentsPerPart == 0)
                {
                    state.Writer = output.Checkpoint();
                    checkpoint?.Invoke(state);
                }
            }
            next = state.NextCandidate;
            progress?.Invoke(stats.DocumentsWritten, stats.CandidatesTried);
        }
        background?.Drain();
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
