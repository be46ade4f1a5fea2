using NExtLong.Retrieval;

namespace NExtLong.Synthesis;

/// <summary>
/// How long documents are synthesized: T, the method (NExtLong or a baseline), how NExtLong mines its k hard
/// negatives per meta-chunk and places them, false-negative checks, and the output's part size. The record owns the
/// defaults (the CLI binds to them) and <see cref="Validate"/> their ranges; it is written into config.json.
/// </summary>
public sealed record SynthesisOptions
{
    /// <summary>T: every synthesized document has exactly this many tokens of the target tokenizer; 1 to <see cref="MaxTargetTokens"/>, default 131,072 (128K).</summary>
    public int TargetTokens { get; init; } = 131_072;

    /// <summary>Documents to synthesize, split over the input sources by their mixing weights; at least 1, default 64.</summary>
    public int NumSamples { get; init; } = 64;

    /// <summary>
    /// Chooses the meta-documents (hashed with each document's id) and seeds every random choice made for one
    /// (random placement, randomr/randomd, QUEST's groups, ICLM's path), so a run is reproducible; any value, default 42.
    /// </summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>
    /// w of Appendix C.1 (Eq. 8): k is chosen so the meta-document and its negatives hold Q = T·E·w characters before
    /// the cut to T (<see cref="HardNegativeCount"/>); in (0, <see cref="MaxOversampling"/>], default 1.5. NExtLong only.
    /// </summary>
    public double Oversampling { get; init; } = HardNegativeCount.DefaultOversampling;

    /// <summary>
    /// Similarity above which a retrieved chunk is treated as a copy of the meta-chunk (a false negative). GloVe-SIF
    /// vectors share a common direction, so distinct texts on one topic reach 0.99+; on the sample corpus no two
    /// different chunks reach 0.999, while a copy scores 1. In (0, <see cref="MaxNearDuplicateThreshold"/>]; NExtLong
    /// only, not with selfrepeat or the bm25 retriever (whose scores are not cosines).
    /// </summary>
    public float NearDuplicateThreshold { get; init; } = 0.999f;

    /// <summary>
    /// Word 5-gram share at or above which a retrieved chunk is mostly the meta-document's own text (a false
    /// negative: an edited copy the vectors do not catch) and is skipped: the fraction of the chunk's shingles that
    /// occur in the meta-document, or the chunk's Jaccard with its meta-chunk. 0.5 is the share at which a negative
    /// counts as "mostly the meta-document" in docs/DEDUP.md. In (0, 1]; NExtLong only, not with selfrepeat.
    /// </summary>
    public double FalseNegativeThreshold { get; init; } = 0.5;

    /// <summary>Text placed between consecutive chunks (or, for the baselines, documents) of a synthesized document; may be empty, not null; default a blank line.</summary>
    public string Separator { get; init; } = "\n\n";

    /// <summary>
    /// Assembly attempts per meta-document before it is dropped as short of T; each NExtLong retry retrieves half as many
    /// negatives again (k grows by half), a baseline gets 4 attempts more. 1 to <see cref="MaxMaxAttempts"/>, default 4.
    /// </summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Characters of index chunks (spread evenly over the index) tokenized to measure the encoding rate E, chars/token; at least 1, default 2,000,000.</summary>
    public long EncodingRateSampleChars { get; init; } = 2_000_000;

    /// <summary>NExtLong (default) or a baseline of Table 1; the baselines concatenate whole documents, so the options marked "NExtLong only" must stay unset with them.</summary>
    public SynthesisMethod Method { get; init; } = SynthesisMethod.NExtLong;

    /// <summary>Where each meta-chunk goes among its negatives (Appendix A.1); default head, the paper's. NExtLong only.</summary>
    public MetaChunkPlacement Placement { get; init; } = MetaChunkPlacement.Head;

    /// <summary>How a meta-chunk's k negatives are chosen (§5.3); default topk, the hard negatives. NExtLong only.</summary>
    public NegativeSelection Selection { get; init; } = NegativeSelection.TopK;

    /// <summary>How negatives are retrieved; null uses what the index was built for (a hybrid index serves all three). NExtLong only.</summary>
    public Retrieval.RetrieverKind? Retriever { get; init; }

    /// <summary>How the hybrid retriever combines BM25 and dense lists: reciprocal rank fusion (default, measured better:
    /// docs/RETRIEVAL.md) or BM25's candidates re-ranked by cosine. Hybrid only.</summary>
    public Retrieval.HybridFusion Hybrid { get; init; } = Retrieval.HybridFusion.ReciprocalRank;

    /// <summary>BM25's k1, b, query term count and minimum document frequency for this synthesis; those not given are
    /// the index's (bm25 and hybrid only).</summary>
    public Retrieval.Bm25Scoring Bm25 { get; init; } = new();

    /// <summary>Candidates retrieved per meta-chunk for the selections that choose among them, tailk and randomr (512 in §5.3); 1 to <see cref="MaxCandidatePool"/>, default 512.</summary>
    public int CandidatePool { get; init; } = 512;

    /// <summary>The defaults, for front ends that show or bind them (the CLI).</summary>
    public static readonly SynthesisOptions Defaults = new();

    /// <summary>
    /// Documents per part-*.jsonl.zst file, and how often (in documents written) the run checkpoints so an interrupted
    /// one resumes; at least 1, default 256. It changes no document.
    /// </summary>
    public int DocumentsPerPart { get; init; } = 256;

    /// <summary>
    /// Largest T: a document is assembled as one string of about T·E·w characters (≈ 6·T for English and w = 1.5),
    /// which must stay far below .NET's 2^30-character string limit, and a tokenized sequence of T 4-byte ids must fit
    /// one MDS shard (under 2 GiB). 16M tokens is 32 times the paper's longest (512K).
    /// </summary>
    public const int MaxTargetTokens = 1 << 24;

    /// <summary>Largest w: beyond it k (and every search) grows without bound for no gain; the paper uses 1.5.</summary>
    public const double MaxOversampling = 100;

    /// <summary>
    /// Largest near-duplicate threshold. Similarities are cosines of unit vectors, at most 1 (a copy scores 1 up to
    /// rounding), so any threshold above 1 turns skipping off; 2 is allowed as the explicit "never skip".
    /// </summary>
    public const float MaxNearDuplicateThreshold = 2f;

    /// <summary>Largest <see cref="CandidatePool"/>: every meta-chunk holds its candidates in memory.</summary>
    public const int MaxCandidatePool = 65_536;

    /// <summary>Largest <see cref="MaxAttempts"/>: k grows by half per retry, so 32 attempts already multiply it by about 3·10^5.</summary>
    public const int MaxMaxAttempts = 32;

    /// <summary>
    /// Throws an <see cref="OptionValidationException"/> naming the first option outside its range, or the first
    /// option that means nothing with the chosen method or selection. Called before any file is created.
    /// </summary>
    /// <param name="isSet">
    /// Whether the caller set a property (by name) rather than leaving it at its default; only set properties can
    /// conflict with the method. Default: the value differs from the default (a CLI passes "the flag was given").
    /// </param>
    public void Validate(Func<string, bool>? isSet = null)
    {
        OptionValidationException.InRange(nameof(TargetTokens), TargetTokens, 1, MaxTargetTokens,
            TargetTokens > MaxTargetTokens ? "a document is one string of about 6·T characters; a larger T would exceed .NET's string limit" : null);
        OptionValidationException.AtLeast(nameof(NumSamples), NumSamples, 1);
        OptionValidationException.InLeftOpen(nameof(Oversampling), Oversampling, 0, MaxOversampling);
        OptionValidationException.InLeftOpen(nameof(NearDuplicateThreshold), NearDuplicateThreshold, 0, MaxNearDuplicateThreshold,
            "similarities are cosines in [-1, 1]: at or below 0 every hard negative would be skipped as a copy, above 1 nothing is skipped");
        OptionValidationException.InLeftOpen(nameof(FalseNegativeThreshold), FalseNegativeThreshold, 0, 1,
            "it is a share of word 5-grams: at 0 every hard negative would be skipped, and 1 skips only whole copies");
        if (Separator is null) throw OptionValidationException.OutOfRange(nameof(Separator), null, "a text (it may be empty)");
        OptionValidationException.InRange(nameof(MaxAttempts), MaxAttempts, 1, MaxMaxAttempts);
        OptionValidationException.AtLeast(nameof(EncodingRateSampleChars), EncodingRateSampleChars, 1);
        OptionValidationException.Defined(nameof(Method), Method);
        OptionValidationException.Defined(nameof(Placement), Placement);
        OptionValidationException.Defined(nameof(Selection), Selection);
        if (Retriever is { } retriever) OptionValidationException.Defined(nameof(Retriever), retriever);
        OptionValidationException.Defined(nameof(Hybrid), Hybrid);
        if (Bm25 is null) throw OptionValidationException.OutOfRange(nameof(Bm25), null, "BM25 scoring settings (empty for the index's)");
        Bm25.Validate();
        OptionValidationException.InRange(nameof(CandidatePool), CandidatePool, 1, MaxCandidatePool,
            CandidatePool > MaxCandidatePool ? "every meta-chunk holds its candidates in memory" : null);
        OptionValidationException.AtLeast(nameof(DocumentsPerPart), DocumentsPerPart, 1);

        // Options that only the NExtLong method reads: the baselines concatenate whole documents.
        var defaults = new SynthesisOptions();
        isSet ??= name => name switch
        {
            nameof(Selection) => Selection != defaults.Selection,
            nameof(Placement) => Placement != defaults.Placement,
            nameof(CandidatePool) => CandidatePool != defaults.CandidatePool,
            nameof(Oversampling) => Oversampling != defaults.Oversampling,
            nameof(NearDuplicateThreshold) => NearDuplicateThreshold != defaults.NearDuplicateThreshold,
            nameof(FalseNegativeThreshold) => FalseNegativeThreshold != defaults.FalseNegativeThreshold,
            nameof(Retriever) => Retriever is not null,
            nameof(Hybrid) => Hybrid != defaults.Hybrid,
            _ => false,
        };
        if (Method != SynthesisMethod.NExtLong)
        {
            const string baseline = "the baselines (standard, knn, iclm, quest) concatenate whole documents and mine no negatives";
            foreach (var (name, value) in new (string, object)[] { (nameof(Selection), Selection), (nameof(Placement), Placement), (nameof(CandidatePool), CandidatePool),
                (nameof(Oversampling), Oversampling), (nameof(NearDuplicateThreshold), NearDuplicateThreshold), (nameof(FalseNegativeThreshold), FalseNegativeThreshold),
                (nameof(Retriever), Retriever ?? default), (nameof(Hybrid), Hybrid) })
            {
                if (isSet(name)) throw OptionValidationException.Conflict(name, value, nameof(Method), Method, baseline);
            }
            if (Bm25.Any) throw OptionValidationException.Conflict(Bm25Given, "given", nameof(Method), Method, baseline);
        }
        if (isSet(nameof(Hybrid)) && Retriever is { } kind && kind != Retrieval.RetrieverKind.Hybrid)
            throw OptionValidationException.Conflict(nameof(Hybrid), Hybrid.Name(), nameof(Retriever), kind, "it chooses how the hybrid retriever fuses its lists");
        if (Bm25.Any && Retriever == Retrieval.RetrieverKind.Dense)
            throw OptionValidationException.Conflict(Bm25Given, "given", nameof(Retriever), Retriever, "BM25 settings apply to the bm25 and hybrid retrievers");
        if (isSet(nameof(CandidatePool)) && !UsesCandidatePool(Selection))
            throw OptionValidationException.Conflict(nameof(CandidatePool), CandidatePool, nameof(Selection), Selection,
                "only tailk and randomr choose among retrieved candidates");
        if (isSet(nameof(NearDuplicateThreshold)) && Retriever == Retrieval.RetrieverKind.Bm25)
            throw OptionValidationException.Conflict(nameof(NearDuplicateThreshold), NearDuplicateThreshold, nameof(Retriever), Retriever,
                "the threshold is a cosine and bm25 scores are not");
        foreach (var (name, value) in new (string, object)[] { (nameof(NearDuplicateThreshold), NearDuplicateThreshold), (nameof(FalseNegativeThreshold), FalseNegativeThreshold) })
        {
            if (isSet(name) && Selection == NegativeSelection.SelfRepeat)
                throw OptionValidationException.Conflict(name, value, nameof(Selection), Selection, "selfrepeat repeats the meta-chunk and retrieves nothing");
        }
    }

    // The first BM25 setting given, for naming it in an error.
    private string Bm25Given => Bm25.K1 is not null ? nameof(Bm25.K1) : Bm25.B is not null ? nameof(Bm25.B) : Bm25.QueryTerms is not null ? nameof(Bm25.QueryTerms) : nameof(Bm25.MinDocFreq);

    /// <summary>Whether <paramref name="selection"/> reads <see cref="CandidatePool"/>.</summary>
    public static bool UsesCandidatePool(NegativeSelection selection) => selection is NegativeSelection.TailK or NegativeSelection.RandomR;
}
