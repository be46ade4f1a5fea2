using System.Text.Json.Serialization;

namespace NExtLong.Output.Parquet;

/// <summary>The <c>false_negatives_skipped</c> struct of a Parquet row: candidates skipped, by reason.</summary>
internal sealed class ParquetFalseNegatives
{
    [JsonPropertyName("near_duplicate_cosine")] public int NearDuplicateCosine { get; set; }
    [JsonPropertyName("shingle_containment")] public int ShingleContainment { get; set; }
    [JsonPropertyName("shingle_jaccard")] public int ShingleJaccard { get; set; }
}
