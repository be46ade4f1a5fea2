namespace NExtLong.Synthesis;

/// <summary>Where a meta-chunk goes among its negatives (paper Appendix A.1, Table 5).</summary>
public enum MetaChunkPlacement
{
    /// <summary>Before its negatives: the paper's method and its best result.</summary>
    Head,

    /// <summary>After its negatives.</summary>
    Tail,

    /// <summary>At a random position among its negatives (seeded per meta-document).</summary>
    Random,
}
