namespace NExtLong.External;

/// <summary>
/// The file format of `nextlong chunks` shards: Parquet (snappy), or zstd-compressed JSON lines for embedding jobs
/// whose Python has no Parquet reader (zstandard and json suffice). Same rows, same order, same shard boundaries.
/// </summary>
public enum ChunkShardFormat
{
    /// <summary>chunks-NNNNN.parquet: Parquet with snappy compression, the default.</summary>
    Parquet,

    /// <summary>chunks-NNNNN.jsonl.zst: one JSON object per line, the whole file zstd-compressed.</summary>
    JsonlZst,
}

/// <summary>Names and file extensions of <see cref="ChunkShardFormat"/>.</summary>
public static class ChunkShardFormats
{
    /// <summary>The name used on the command line and in manifest.json: parquet or jsonl.zst.</summary>
    public static string Name(this ChunkShardFormat format) => format == ChunkShardFormat.JsonlZst ? "jsonl.zst" : "parquet";

    /// <summary>The shard files' extension: ".parquet" or ".jsonl.zst".</summary>
    public static string Extension(this ChunkShardFormat format) => "." + format.Name();

    /// <summary>The format named <paramref name="name"/> (<see cref="Name"/>'s form, exact and lower case).</summary>
    /// <exception cref="OptionValidationException"><paramref name="name"/> is neither parquet nor jsonl.zst.</exception>
    public static ChunkShardFormat Parse(string name) => name switch
    {
        "parquet" => ChunkShardFormat.Parquet,
        "jsonl.zst" => ChunkShardFormat.JsonlZst,
        _ => throw OptionValidationException.OutOfRange("ShardFormat", name, "parquet or jsonl.zst"),
    };
}
