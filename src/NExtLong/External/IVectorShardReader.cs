namespace NExtLong.External;

/// <summary>
/// Vectors computed elsewhere, one file (shard) read in row order into float32 rows, a block at a time so memory
/// stays bounded whatever the file's size.
/// </summary>
internal interface IVectorShardReader : IDisposable
{
    string Path { get; }

    long Rows { get; }

    int Dimension { get; }

    /// <summary>True when every row carries its chunk id (Parquet); false when rows are in chunk order by position (.npy, safetensors).</summary>
    bool Keyed { get; }

    /// <summary>
    /// Reads the next rows, as many as fit in <paramref name="destination"/> (whole rows) and <paramref name="chunkIds"/>
    /// (filled for keyed files only); returns how many, 0 at the end.
    /// </summary>
    int Read(Span<float> destination, Span<long> chunkIds);
}
