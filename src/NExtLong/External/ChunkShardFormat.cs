namespace NExtLong.External;

/// <summary>
/// The file format of `nextlong chunks` shards: Parquet (snappy), or zstd-compressed JSON lines for embedding jobs
/// whose Python has no Parquet reader (zstandard and json suffice). Same rows, same order, same shard boundaries.
/// </summary>
public enum ChunkShardFormat
{
    Parquet,
    JsonlZst,
}

/// <summary>Names and file extensions of <see cref="ChunkShardFormat"/>.</summary>
public static class ChunkShardFormats
{
    /// <summary>The name used on the command line and in manifest.json: parquet or jsonl.zst.</summary>
    public static string Name(this ChunkShardFormat format) => format == ChunkShardFormat.JsonlZst ? "jsonl.zst" : "parquet";

    public static string Extension(this ChunkShardFormat format) => "." + format.Name();

    public static ChunkShardFormat Parse(string name) => name switch
    {
        "parquet" => ChunkShardFormat.Parquet,
        "jsonl.zst" => ChunkShardFormat.JsonlZst,
        _ => throw OptionValidationException.OutOfRange("ShardFormat", name, "parquet or jsonl.zst"),
    };
}
