namespace NExtLong.Output.Mds;

/// <summary>How an <see cref="MdsWriter"/> cuts, compresses and hashes shards.</summary>
public sealed record MdsWriterOptions
{
    /// <summary>mosaicml-streaming's default: 64 MiB (1 &lt;&lt; 26).</summary>
    public const long DefaultSizeLimit = 1L << 26;

    public const long MinSizeLimit = 1024;

    public const long MaxSizeLimit = int.MaxValue - 1;

    /// <summary>
    /// Largest shard file in bytes; a sample larger than this gets a shard of its own. Offsets are uint32 upstream
    /// and a shard is built in memory here, so the limit must stay below 2 GiB.
    /// </summary>
    public long SizeLimit
    {
        get;
        init => field = value is >= MinSizeLimit and <= MaxSizeLimit
            ? value
            : throw OptionValidationException.OutOfRange(nameof(SizeLimit), value, $"in [{MinSizeLimit}, {MaxSizeLimit}] bytes (1 KiB to 2 GiB)");
    } = DefaultSizeLimit;

    /// <summary>Null for plain shards, else "zstd" or "zstd:LEVEL".</summary>
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

    /// <summary>Hash algorithms recorded per shard file (sorted, as the upstream writer requires).</summary>
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
