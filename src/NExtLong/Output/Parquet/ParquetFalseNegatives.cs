namespace NExtLong.Output.Parquet;

/// <summary>The <c>false_negatives_skipped</c> struct of a Parquet row: candidates skipped, by reason.</summary>
internal sealed class ParquetFalseNegatives
{
    public int NearDuplicateCosine { get; set; }
    public int ShingleContainment { get; set; }
    public int ShingleJaccard { get; set; }
}
