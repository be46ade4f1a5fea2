namespace NExtLong.Index;

/// <summary>
/// Whether `synthesize` uses a chunk token cache beside the index (each chunk's target-tokenizer ids, so that the
/// exact cut encodes only the piece holding it). The output is the same in every mode; only the time differs.
/// </summary>
public enum TokenCacheMode
{
    /// <summary>Encode the text; ignore any cache.</summary>
    Off,

    /// <summary>Use a cache made for this index, tokenizer and separator when there is one; otherwise encode.</summary>
    Use,

    /// <summary>Make the cache when there is none or it is stale (one encoding of every chunk, on all threads), then use it.</summary>
    Build,

    /// <summary>
    /// Build when the run will cut more tokens than the index holds (the cache then costs less than it saves), else
    /// Use; a rank of a distributed run only uses one, and an index folder that cannot take the file is read as it is.
    /// </summary>
    Auto,
}
