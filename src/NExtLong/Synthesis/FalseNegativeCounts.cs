namespace NExtLong.Synthesis;

/// <summary>
/// Retrieved candidates skipped as false negatives (copies of the meta-document's own text), by the check that
/// caught them, in the order the checks run: the cheap vector one first, then the text ones.
/// </summary>
/// <param name="NearDuplicateCosine">Cosine with the meta-chunk above the near-duplicate threshold.</param>
/// <param name="ShingleJaccard">Word 5-gram Jaccard with the meta-chunk at or above the false-negative threshold.</param>
/// <param name="ShingleContainment">At least that fraction of the chunk's word 5-grams occur in the meta-document.</param>
public readonly record struct FalseNegativeCounts(int NearDuplicateCosine, int ShingleJaccard, int ShingleContainment)
{
    /// <summary>Candidates skipped as false negatives, by any check.</summary>
    public int Total => NearDuplicateCosine + ShingleJaccard + ShingleContainment;

    /// <summary>The counts of <paramref name="a"/> and <paramref name="b"/> added reason by reason.</summary>
    public static FalseNegativeCounts operator +(FalseNegativeCounts a, FalseNegativeCounts b)
        => new(a.NearDuplicateCosine + b.NearDuplicateCosine, a.ShingleJaccard + b.ShingleJaccard, a.ShingleContainment + b.ShingleContainment);

    /// <summary>The counts by reason name, as stats.json and the documents' provenance write them.</summary>
    public IEnumerable<(string Reason, int Count)> ByReason()
    {
        yield return ("near_duplicate_cosine", NearDuplicateCosine);
        yield return ("shingle_containment", ShingleContainment);
        yield return ("shingle_jaccard", ShingleJaccard);
    }
}
