namespace NExtLong.Synthesis;

/// <summary>Why a retrieved candidate is not a negative (see <see cref="FalseNegativeCounts"/>).</summary>
public enum FalseNegativeReason
{
    /// <summary>Not a false negative: the candidate may be used.</summary>
    None,

    /// <summary>Its cosine with the meta-chunk is above the near-duplicate threshold (only when the retriever's scores are cosines).</summary>
    NearDuplicateCosine,

    /// <summary>Its word 5-gram Jaccard with the meta-chunk is at or above the false-negative threshold.</summary>
    ShingleJaccard,

    /// <summary>At least the false-negative threshold's fraction of its word 5-grams occur in the meta-document.</summary>
    ShingleContainment,
}
