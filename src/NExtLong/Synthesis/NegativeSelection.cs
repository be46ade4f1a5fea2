namespace NExtLong.Synthesis;

/// <summary>How the k negatives of a meta-chunk are chosen (paper section 5.3, Figure 6).</summary>
public enum NegativeSelection
{
    /// <summary>The k most similar retrieved chunks, most similar first: hard negatives, the paper's method.</summary>
    TopK,

    /// <summary>The k least similar of the retrieved candidates, in ascending order of similarity.</summary>
    TailK,

    /// <summary>k chunks drawn at random from the retrieved candidates.</summary>
    RandomR,

    /// <summary>k chunks drawn at random from the whole index, ignoring retrieval.</summary>
    RandomD,

    /// <summary>The meta-chunk itself repeated k times, without retrieval (false negatives).</summary>
    SelfRepeat,
}
