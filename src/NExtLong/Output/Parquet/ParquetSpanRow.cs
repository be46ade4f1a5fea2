using System.Text.Json.Serialization;

namespace NExtLong.Output.Parquet;

/// <summary>One element of a Parquet row's <c>spans</c> list (see <see cref="Synthesis.DocumentSpan"/>).</summary>
internal sealed class ParquetSpanRow
{
    [JsonPropertyName("role")] public string Role { get; set; } = "";
    [JsonPropertyName("meta_chunk")] public int MetaChunk { get; set; }
    [JsonPropertyName("chunk_id")] public long ChunkId { get; set; }
    [JsonPropertyName("document")] public string Document { get; set; } = "";
    [JsonPropertyName("source")] public string Source { get; set; } = "";
    [JsonPropertyName("rank")] public int Rank { get; set; }
    [JsonPropertyName("similarity")] public double? Similarity { get; set; }
    [JsonPropertyName("cosine")] public double? Cosine { get; set; }
    [JsonPropertyName("char_start")] public int CharStart { get; set; }
    [JsonPropertyName("char_end")] public int CharEnd { get; set; }
    [JsonPropertyName("token_start")] public int TokenStart { get; set; }
    [JsonPropertyName("token_end")] public int TokenEnd { get; set; }
    [JsonPropertyName("truncated")] public bool Truncated { get; set; }
}
