using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Index;
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
    /// The outcomes of the given candidates, synthesized on all threads (NExtLong searches the batch's meta-chunks
    /// together where that gives the same negatives); each depends only on its candidate and E.
    /// </summary>
    public Outcome[] SynthesizeAll(IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> which, double charsPerToken, CancellationToken ct = default)
        => _method.SynthesizeAll(candidates, which, charsPerToken, Math.Max(1, _options.Threads), ct);

    public void Dispose() => (_retriever as IDisposable)?.Dispose();
}
