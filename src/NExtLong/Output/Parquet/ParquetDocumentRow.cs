using System.Text.Json.Serialization;

namespace NExtLong.Output.Parquet;

/// <summary>One row of the Parquet format: the fields of a JSON lines record, nested the same way.</summary>
internal sealed class ParquetDocumentRow
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("text")] public string Text { get; set; } = "";
    [JsonPropertyName("num_tokens")] public int NumTokens { get; set; }
    [JsonPropertyName("meta_document")] public ParquetMetaDocument MetaDocument { get; set; } = new();
    [JsonPropertyName("k")] public int K { get; set; }
    [JsonPropertyName("attempts")] public int Attempts { get; set; }
    [JsonPropertyName("near_duplicates_skipped")] public int NearDuplicatesSkipped { get; set; }
    [JsonPropertyName("false_negatives_skipped")] public ParquetFalseNegatives FalseNegativesSkipped { get; set; } = new();
    [JsonPropertyName("spans")] public List<ParquetSpanRow> Spans { get; set; } = [];
}
