using System.CommandLine;
using NExtLong.Output.Mds;

namespace NExtLong.Cli;

/// <summary>The MDS shard options (size limit, compression, hashes) of one command.</summary>
internal sealed class MdsOptions
{
    private readonly Option<string?> _compression = new("--mds-compression") { Description = "MDS shard compression: zstd or zstd:LEVEL, LEVEL 1 to 22 (default none, like the published ProLong data)." };
    private readonly Option<string[]> _hashes = new("--mds-hashes") { Description = $"MDS shard hashes recorded in index.json: {string.Join(", ", MdsHash.Supported)}.", AllowMultipleArgumentsPerToken = true };
    private readonly Option<long> _sizeLimit = new("--mds-size-limit") { Description = $"MDS shard size limit in bytes, {MdsWriterOptions.MinSizeLimit} to {MdsWriterOptions.MaxSizeLimit} (1 KiB to 2 GiB).", DefaultValueFactory = _ => MdsWriterOptions.DefaultSizeLimit };

    public static MdsOptions Create() => new();

    public IEnumerable<Option> All => [_compression, _hashes, _sizeLimit];

    public MdsWriterOptions Parse(ParseResult r) => new()
    {
        SizeLimit = r.GetValue(_sizeLimit),
        Compression = r.GetValue(_compression),
        Hashes = [.. (r.GetValue(_hashes) ?? []).SelectMany(h => h.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))],
    };
}
