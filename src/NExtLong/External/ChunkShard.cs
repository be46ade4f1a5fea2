namespace NExtLong.External;

/// <summary>One shard file of a chunks folder: its name, the index chunk id of its first row, its rows, and XxHash64 of the file.</summary>
public sealed record ChunkShard(string File, long FirstChunk, long Rows, string Xxh64)
{
    public long EndChunk => FirstChunk + Rows;
}
