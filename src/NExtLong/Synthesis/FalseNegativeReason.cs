namespace NExtLong.Synthesis;

/// <summary>Why a retrieved candidate is not a negative (see <see cref="FalseNegativeCounts"/>).</summary>
public enum FalseNegativeReason
{
    None,
    NearDuplicateCosine,
    ShingleJaccard,
    ShingleContainment,
}
