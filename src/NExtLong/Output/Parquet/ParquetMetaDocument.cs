using System.Text.Json.Serialization;

namespace NExtLong.Output.Parquet;

/// <summary>The <c>meta_document</c> struct of a Parquet row.</summary>
internal sealed class ParquetMetaDocument
{
    [JsonPropertyName("id")] public string Id { get; set; } = "";
    [JsonPropertyName("source")] public string Source { get; set; } = "";
    [JsonPropertyName("chars")] public int Chars { get; set; }
    [JsonPropertyName("meta_chunks")] public int MetaChunks { get; set; }
}
