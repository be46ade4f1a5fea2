namespace NExtLong.Synthesis;

/// <summary>How long documents are made: NExtLong, or one of the baselines the paper compares against (Table 1).</summary>
public enum SynthesisMethod
{
    /// <summary>Negative Document Extension: meta-chunks interleaved with retrieved hard negatives.</summary>
    NExtLong,

    /// <summary>Random short documents concatenated.</summary>
    Standard,

    /// <summary>Each document followed by its most similar documents (Guu et al., 2020).</summary>
    Knn,

    /// <summary>In-Context Pretraining (Shi et al., 2024): a greedy path through the document kNN graph, near-duplicates removed.</summary>
    Iclm,

    /// <summary>Quest (Gao et al., 2024): documents grouped by a shared keyword (RAKE) and concatenated.</summary>
    Quest,
}
