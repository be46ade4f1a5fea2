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
    private readonly int _threads;
    private readonly ChunkTokenCache? _tokenCache;

    /// <summary>
    /// Opens the retriever the options ask for (<see cref="SynthesisOptions.Retriever"/>, else the index's own) and the
    /// configured method over <paramref name="index"/>. The options are used as given: validate them first
    /// (<see cref="SynthesisOptions.Validate"/>).
    /// </summary>
    /// <param name="index">The open index: chunks, vectors and lexical index the negatives (or baseline documents) come from.</param>
    /// <param name="tokenizer">The target tokenizer T and E are counted in.</param>
    /// <param name="options">T, the method and its settings, and the seed.</param>
    /// <param name="ct">Stops work done once for all candidates (QUEST's keyword groups); per-candidate work takes its own token.</param>
    /// <param name="embedder">Embeds meta-chunks: the index's own embedder (null when the retriever needs no vectors); for
    /// an index of vectors computed elsewhere (vectors:NAME) null, or the model that made them for meta-documents the
    /// index does not hold.</param>
    /// <param name="threads">Worker threads for measuring E and for <see cref="SynthesizeAll"/>, at least 1; null: every core. Outcomes do not depend on it.</param>
    /// <exception cref="OptionValidationException"><paramref name="threads"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The index was not built to serve the retriever asked for.</exception>
    /// <exception cref="ArgumentException">The embedder's dimension (or, unless the index holds vectors computed elsewhere,
    /// its spec) differs from the index's; or NExtLong with dense or hybrid retrieval gets no embedder for an index whose
    /// vectors nextlong computed.</exception>
    public Synthesizer(ChunkIndex index, IEmbedder? embedder, TargetTokenizer tokenizer, SynthesisOptions options, int? threads = null, CancellationToken ct = default)
        : this(index, embedder, tokenizer, options, threads, null, ct)
    {
    }

    /// <summary>As the public constructor, with the index chunks' cached ids (<see cref="ChunkTokenCache"/>, made for this
    /// tokenizer and the options' separator; the caller keeps it open) for NExtLong's exact cut.</summary>
    internal Synthesizer(ChunkIndex index, IEmbedder? embedder, TargetTokenizer tokenizer, SynthesisOptions options, int? threads,
        ChunkTokenCache? tokenCache, CancellationToken ct = default)
    {
        if (threads is { } t) OptionValidationException.AtLeast("Threads", t, 1);
        _retriever = ChunkRetrievers.Open(index, options.Retriever ?? index.Retriever, options.Hybrid, options.Bm25);
        bool storedVectors = External.ImportedVectors.IsSpec(index.Manifest.Embedder);
        if (embedder is null ? _retriever.NeedsVectors && !storedVectors && options.Method == SynthesisMethod.NExtLong
                : embedder.Dimension != index.Manifest.Dimension || (!storedVectors && embedder.Spec != index.Manifest.Embedder))
            throw new ArgumentException($"embedder '{embedder?.Spec ?? "(none)"}' ({embedder?.Dimension ?? 0}-d) does not match the index, built with '{index.Manifest.Embedder}' ({index.Manifest.Dimension}-d)");
        _index = index;
        _tokenizer = tokenizer;
        _options = options;
        _threads = threads ?? Environment.ProcessorCount;
        _tokenCache = tokenCache;
        _method = options.Method == SynthesisMethod.NExtLong
            ? new NExtLongMethod(index, embedder, storedVectors, _retriever, tokenizer, options, tokenCache)
            : new BaselineSynthesizer(index, tokenizer, options, options.Method, _threads, ct);
    }

    /// <summary>
    /// Measures E, the characters per token of the target tokenizer, on index chunks spread evenly over the corpus,
    /// each followed by the separator as it stands in a long document. The chunks are chosen first, then counted on
    /// all threads (integer sums: the same E for any thread count). With the index chunks' token cache the counts are
    /// read from it: it holds exactly these pieces' ids, so E is the same with or without it.
    /// </summary>
    public (double CharsPerToken, long Chars, long Tokens) MeasureEncodingRate(CancellationToken ct = default)
    {
        long n = _index.ChunkCount;
        if (n == 0) throw new InvalidOperationException($"{_index.Directory}: the index holds no chunks");
        long chars = 0, tokens = 0;
        int separatorChars = TextLength.Of(_options.Separator);
        double meanChunkChars = Math.Max(1, (double)_index.Manifest.ChunkChars / 2);
        long stride = Math.Max(1, (long)(n / Math.Max(1, _options.EncodingRateSampleChars / meanChunkChars)));
        var sample = new List<long>();
        for (long id = 0; id < n && chars < _options.EncodingRateSampleChars; id += stride)
        {
            if (sample.Count % 64 == 0) ct.ThrowIfCancellationRequested();
            chars += _index.ChunkScalarCount(id) + separatorChars;
            sample.Add(id);
        }
        if (_tokenCache is not null)
            foreach (long id in sample) tokens += _tokenCache.Ids(id).Length;
        else
            Parallel.For(0, sample.Count, new ParallelOptions { MaxDegreeOfParallelism = _threads, CancellationToken = ct }, () => 0L,
                (i, _, sum) => sum + _tokenizer.CountTokens(_index.ChunkText(sample[i]) + _options.Separator), sum => Interlocked.Add(ref tokens, sum));
        return (tokens == 0 ? 1 : (double)chars / tokens, chars, tokens);
    }

    /// <summary>The outcome for one candidate: a document, or the reason it was dropped.</summary>
    /// <param name="Document">The long document; null when none could be made.</param>
    /// <param name="DropReason">Why no document could be made; null when one was.</param>
    public sealed record Outcome(SynthesizedDocument? Document, DropReason? DropReason);

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
        => _method.SynthesizeAll(candidates, which, charsPerToken, _threads, ct);

    /// <summary>Whether <see cref="SynthesizeAll"/> shares work across a batch (one search for all), so batches beat one-by-one synthesis.</summary>
    internal bool SharesWorkInBatches => _method.SharesWorkInBatches;

    /// <summary>The worker threads this synthesizer works on.</summary>
    internal int Threads => _threads;

    /// <summary>Releases the retriever's buffers; the index and embedder stay the caller's to dispose.</summary>
    public void Dispose() => (_retriever as IDisposable)?.Dispose();
}
