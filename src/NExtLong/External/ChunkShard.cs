namespace NExtLong.External;

/// <summary>One shard file (Parquet or JSON lines) of a chunks folder: its name, the index chunk id of its first row, its rows, and XxHash64 of the file.</summary>
/// <param name="File">The shard's file name in the chunks folder.</param>
/// <param name="FirstChunk">The index chunk id of its first row.</param>
/// <param name="Rows">Chunks it holds, with consecutive ids.</param>
/// <param name="Xxh64">XxHash64 of the file (16 hex digits).</param>
public sealed record ChunkShard(string File, long FirstChunk, long Rows, string Xxh64)
{
    /// <summary>One past the chunk id of the shard's last row: <c>FirstChunk + Rows</c>.</summary>
    public long EndChunk => FirstChunk + Rows;
}
