using System.Text.Json.Serialization;
using Parquet.Serialization.Attributes;

namespace NExtLong.Tests.External;

/// <summary>A row of a chunk shard, as a reader of `nextlong chunks` output sees it.</summary>
public sealed class ChunkShardRow
{
    [JsonPropertyName("chunk_id")] public long ChunkId { get; set; }
    [ParquetRequired, JsonPropertyName("document_id")] public string DocumentId { get; set; } = "";
    [ParquetRequired, JsonPropertyName("source")] public string Source { get; set; } = "";
    [ParquetRequired, JsonPropertyName("text")] public string Text { get; set; } = "";
}
