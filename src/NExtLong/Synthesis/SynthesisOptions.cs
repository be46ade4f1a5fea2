namespace NExtLong.Synthesis;

public sealed record SynthesisOptions
{
    /// <summary>T: every synthesized document has exactly this many tokens.</summary>
    public int TargetTokens { get; init; } = 131_072;

    /// <summary>Documents to synthesize, split over the input sources by their mixing weights.</summary>
    public int NumSamples { get; init; } = 64;

    public ulong Seed { get; init; } = 42;

    /// <summary>w of Appendix C.1.</summary>
    public double Oversampling { get; init; } = HardNegativeCount.DefaultOversampling;

    /// <summary>
    /// Similarity above which a retrieved chunk is treated as a copy of the meta-chunk (a false negative). GloVe-SIF
    /// vectors share a common direction, so distinct texts on one topic reach 0.99+; on the sample corpus no two
    /// different chunks reach 0.999, while a copy scores 1.
    /// </summary>
    public float NearDuplicateThreshold { get; init; } = 0.999f;

    /// <summary>Text placed between consecutive chunks of a synthesized document.</summary>
    public string Separator { get; init; } = "\n\n";

    /// <summary>Assembly attempts per meta-document; each retry retrieves half as many negatives again.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Characters of index chunks tokenized to measure the encoding rate E.</summary>
    public long EncodingRateSampleChars { get; init; } = 2_000_000;

    public SynthesisMethod Method { get; init; } = SynthesisMethod.NExtLong;

    public MetaChunkPlacement Placement { get; init; } = MetaChunkPlacement.Head;

    public NegativeSelection Selection { get; init; } = NegativeSelection.TopK;

    /// <summary>Candidates retrieved per meta-chunk for the selections that choose among them (512 in section 5.3).</summary>
    public int CandidatePool { get; init; } = 512;

    public int Threads { get; init; } = Environment.ProcessorCount;

    public int DocumentsPerPart { get; init; } = 256;
}
