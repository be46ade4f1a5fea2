namespace NExtLong.Output.Mds;

/// <summary>How an <see cref="MdsWriter"/> cuts, compresses and hashes shards.</summary>
public sealed record MdsWriterOptions
{
    /// <summary>mosaicml-streaming's default: 64 MiB (1 &lt;&lt; 26).</summary>
    public const long DefaultSizeLimit = 1L << 26;

    /// <summary>Smallest <see cref="SizeLimit"/>: 1 KiB.</summary>
    public const long MinSizeLimit = 1024;

    /// <summary>Largest <see cref="SizeLimit"/>: 2^31 − 2 bytes, just under 2 GiB.</summary>
    public const long MaxSizeLimit = int.MaxValue - 1;

    /// <summary>
    /// Largest shard file in bytes; a sample larger than this gets a shard of its own. Offsets are uint32 upstream
    /// and a shard is built in memory here, so the limit must stay below 2 GiB. <see cref="MinSizeLimit"/> to
    /// <see cref="MaxSizeLimit"/>, default <see cref="DefaultSizeLimit"/>; the setter throws an
    /// <see cref="OptionValidationException"/> outside that range.
    /// </summary>
    public long SizeLimit
    {
        get;
        init => field = value is >= MinSizeLimit and <= MaxSizeLimit
            ? value
            : throw OptionValidationException.OutOfRange(nameof(SizeLimit), value, $"in [{MinSizeLimit}, {MaxSizeLimit}] bytes (1 KiB to 2 GiB)");
    } = DefaultSizeLimit;

    /// <summary>
    /// Null (the default) for plain shards, else "zstd" (level 3) or "zstd:LEVEL" with LEVEL 1 to 22, as index.json
    /// records it; the setter throws an <see cref="OptionValidationException"/> for anything else.
    /// </summary>
    public string? Compression
    {
        get;
        init
        {
            try
            {
                field = value is null ? null : MdsCompression.ParseForWriting(value).Name;
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or FormatException)
            {
                throw OptionValidationException.OutOfRange(nameof(Compression), value, "zstd or zstd:LEVEL with LEVEL in [1, 22]");
            }
        }
    }

    /// <summary>
    /// Hash algorithms recorded per shard file, stored deduplicated and sorted (as the upstream writer requires); empty
    /// by default. The setter throws an <see cref="OptionValidationException"/> for a name other than md5, sha1, sha256, xxh3_64 or xxh64.
    /// </summary>
    public IReadOnlyList<string> Hashes
    {
        get;
        init
        {
            foreach (string h in value)
            {
                if (!MdsHash.Supported.Contains(h))
                    throw OptionValidationException.OutOfRange(nameof(Hashes), h, $"one of {string.Join(", ", MdsHash.Supported)}");
            }
            field = [.. value.Distinct().Order(StringComparer.Ordinal)];
        }
    } = [];
}
