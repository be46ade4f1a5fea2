using System.IO.Compression;
using ZstdSharp;

namespace NExtLong.Output.Mds;

/// <summary>
/// Shard compression as index.json names it: "zstd" or "zstd:LEVEL" (1–22, default 3) for writing; reading also
/// takes "gz" and "br". The whole shard is one blob stored as "shard.NNNNN.mds.zstd"; the level stays in the
/// name recorded in the index, as mosaicml-streaming keeps it.
/// </summary>
/// <param name="Name">The name as index.json records it, e.g. "zstd:7".</param>
/// <param name="Family">"zstd", "gz" or "br".</param>
/// <param name="Level">The compression level, explicit or the family's default.</param>
public sealed record MdsCompression(string Name, string Family, int Level)
{
    /// <summary>The zstd level a bare "zstd" means: 3, zstd's own default.</summary>
    public const int DefaultZstdLevel = 3;

    /// <summary>The shard file's extension, which is the family name ("zstd", not "zst").</summary>
    public string Extension => Family;

    /// <summary>Parses a compression for writing; only zstd is written.</summary>
    public static MdsCompression ParseForWriting(string name)
    {
        var parsed = Parse(name);
        if (parsed.Family != "zstd")
            throw new ArgumentException($"MDS compression \"{name}\": only zstd or zstd:LEVEL (1-22) is written");
        return parsed;
    }

    /// <summary>Parses a compression as index.json names it: "zstd", "gz" or "br", optionally with ":LEVEL" (zstd 1–22, gz 0–9, br 0–11).</summary>
    /// <remarks>Without a level, zstd means 3 and gz and br their strongest level.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    /// <exception cref="InvalidDataException">The family is unknown or the level is not a number in its family's range.</exception>
    public static MdsCompression Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string[] parts = name.Split(':');
        (int low, int high, int fallback) = parts[0] switch
        {
            "zstd" => (1, 22, DefaultZstdLevel),
            "gz" => (0, 9, 9),
            "br" => (0, 11, 11),
            _ => throw new InvalidDataException($"MDS compression \"{name}\" is not supported (zstd, zstd:LEVEL, gz, br)"),
        };
        if (parts.Length == 1)
            return new MdsCompression(name, parts[0], fallback);
        if (parts.Length != 2 || !int.TryParse(parts[1], out int level) || level < low || level > high)
            throw new InvalidDataException($"MDS compression \"{name}\": the level must be {low}-{high}");
        return new MdsCompression(name, parts[0], level);
    }

    /// <summary>Decompresses one whole shard.</summary>
    public byte[] Decompress(Stream compressed, long rawBytes)
    {
        using Stream inflate = Family switch
        {
            "zstd" => new DecompressionStream(compressed, leaveOpen: true),
            "gz" => new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true),
            _ => new BrotliStream(compressed, CompressionMode.Decompress, leaveOpen: true),
        };
        var raw = new byte[rawBytes];
        inflate.ReadExactly(raw);
        return raw;
    }
}
