using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ZstdSharp;

namespace NExtLong.Tests.Formats;

/// <summary>
/// An MDS reader written from the format description (mosaicml-streaming's MDSReader and encodings), sharing no
/// code with the writer: it checks every structural rule the real reader relies on and decodes the encodings we
/// write into plain values (string, long, uint, <see cref="UIntArray"/>, JsonElement).
/// </summary>
internal static class SpecMdsReader
{
    internal sealed record UIntArray(int[] Shape, uint[] Values);

    internal sealed record Sample(string Shard, IReadOnlyDictionary<string, object> Columns)
    {
        public object this[string column] => Columns[column];
    }

    /// <summary>Reads every sample of the dataset under <paramref name="dir"/>, checking index, shards and hashes.</summary>
    public static List<Sample> ReadAll(string dir)
    {
        Verified.IfComplete(dir);
        using var index = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "index.json")));
        var root = index.RootElement;
        Assert.Equal(2, root.GetProperty("version").GetInt32());
        Assert.Equal(["shards", "version"], root.EnumerateObject().Select(p => p.Name));
        var samples = new List<Sample>();
        foreach (var shard in root.GetProperty("shards").EnumerateArray())
            samples.AddRange(ReadShard(dir, shard));
        return samples;
    }

    private static readonly string[] ShardKeys =
        ["column_encodings", "column_names", "column_sizes", "compression", "format", "hashes", "raw_data", "samples", "size_limit", "version", "zip_data"];

    private static List<Sample> ReadShard(string dir, JsonElement shard)
    {
        // MDSReader(**args) takes exactly these keys: any other would raise TypeError.
        Assert.Equal(ShardKeys, shard.EnumerateObject().Select(p => p.Name));
        Assert.Equal("mds", shard.GetProperty("format").GetString());
        Assert.Equal(2, shard.GetProperty("version").GetInt32());
        var names = shard.GetProperty("column_names").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        var encodings = shard.GetProperty("column_encodings").EnumerateArray().Select(e => e.GetString()!).ToList();
        var sizes = shard.GetProperty("column_sizes").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (int?)null : e.GetInt32()).ToList();
        Assert.Equal(names.Count, encodings.Count);
        Assert.Equal(names.Count, sizes.Count);
        for (int i = 0; i < names.Count; i++)
            Assert.Equal(encodings[i] switch { "int" => 8, "uint32" => 4, _ => (int?)null }, sizes[i]);
        var hashes = shard.GetProperty("hashes").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(hashes.Order(StringComparer.Ordinal), hashes);

        var rawInfo = shard.GetProperty("raw_data");
        var zipInfo = shard.GetProperty("zip_data");
        byte[] raw;
        if (zipInfo.ValueKind == JsonValueKind.Null)
        {
            Assert.Equal(JsonValueKind.Null, shard.GetProperty("compression").ValueKind);
            raw = File.ReadAllBytes(Path.Combine(dir, rawInfo.GetProperty("basename").GetString()!));
        }
        else
        {
            string compression = shard.GetProperty("compression").GetString()!;
            Assert.StartsWith("zstd", compression);
            string zipName = zipInfo.GetProperty("basename").GetString()!;
            Assert.Equal(rawInfo.GetProperty("basename").GetString() + ".zstd", zipName);
            // Only the compressed file is stored.
            Assert.False(File.Exists(Path.Combine(dir, rawInfo.GetProperty("basename").GetString()!)));
            byte[] zip = File.ReadAllBytes(Path.Combine(dir, zipName));
            Assert.Equal(zipInfo.GetProperty("bytes").GetInt64(), zip.LongLength);
            CheckHashes(zip, zipInfo.GetProperty("hashes"), hashes);
            Assert.True(ZstdFrameHasContentSize(zip), $"{zipName}: the zstd frame does not record its content size");
            using var d = new Decompressor();
            raw = d.Unwrap(zip).ToArray();
        }
        Assert.Equal(rawInfo.GetProperty("bytes").GetInt64(), raw.LongLength);
        CheckHashes(raw, rawInfo.GetProperty("hashes"), hashes);
        if (shard.GetProperty("size_limit").ValueKind == JsonValueKind.Number && shard.GetProperty("samples").GetInt64() > 1)
            Assert.True(raw.LongLength <= shard.GetProperty("size_limit").GetInt64(), "a shard of several samples exceeds the size limit");

        uint n = BinaryPrimitives.ReadUInt32LittleEndian(raw);
        Assert.Equal(shard.GetProperty("samples").GetInt64(), n);
        var offsets = new uint[n + 1];
        for (int i = 0; i <= n; i++) offsets[i] = BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(4 + 4 * i));
        // Between the offsets and the first sample: the writer's config, the index entry without its shard keys.
        int configStart = 4 + 4 * ((int)n + 1);
        string config = Encoding.UTF8.GetString(raw, configStart, (int)offsets[0] - configStart);
        Assert.Equal(ExpectedConfig(shard), config);
        Assert.Equal((uint)raw.Length, offsets[n]);

        var samples = new List<Sample>();
        for (int i = 0; i < n; i++)
        {
            Assert.True(offsets[i] <= offsets[i + 1]);
            samples.Add(new Sample(rawInfo.GetProperty("basename").GetString()!,
                DecodeSample(raw.AsSpan((int)offsets[i], (int)(offsets[i + 1] - offsets[i])), names, encodings)));
        }
        return samples;
    }

    private static Dictionary<string, object> DecodeSample(ReadOnlySpan<byte> sample, List<string> names, List<string> encodings)
    {
        var lengths = new List<int>();
        int at = 0;
        for (int i = 0; i < names.Count; i++)
        {
            if (encodings[i] is "int" or "uint32") continue;
            lengths.Add((int)BinaryPrimitives.ReadUInt32LittleEndian(sample[at..]));
            at += 4;
        }
        var values = new Dictionary<string, object>();
        int varIndex = 0;
        for (int i = 0; i < names.Count; i++)
        {
            int size = encodings[i] switch { "int" => 8, "uint32" => 4, _ => lengths[varIndex++] };
            var data = sample.Slice(at, size);
            at += size;
            values[names[i]] = encodings[i] switch
            {
                "str" => Encoding.UTF8.GetString(data),
                "int" => BinaryPrimitives.ReadInt64LittleEndian(data),
                "uint32" => BinaryPrimitives.ReadUInt32LittleEndian(data),
                "json" => JsonDocument.Parse(data.ToArray()).RootElement.Clone(),
                "ndarray:uint32" => DecodeUInt32Array(data),
                var other => throw new InvalidDataException($"encoding {other} is not one we write"),
            };
        }
        Assert.Equal(sample.Length, at);
        return values;
    }

    // Static dtype, dynamic shape: [ndim << 2 | shape dtype][shape][values].
    private static UIntArray DecodeUInt32Array(ReadOnlySpan<byte> data)
    {
        int ndim = data[0] >> 2, width = 1 << (data[0] & 3);
        Assert.True(ndim >= 1);
        var shape = new int[ndim];
        int at = 1;
        for (int d = 0; d < ndim; d++, at += width)
            shape[d] = width switch { 1 => data[at], 2 => BinaryPrimitives.ReadUInt16LittleEndian(data[at..]), _ => (int)BinaryPrimitives.ReadUInt32LittleEndian(data[at..]) };
        // The writer picks the narrowest shape type holding the largest dimension.
        int max = shape.Max();
        Assert.Equal(max < 256 ? 1 : max < 65536 ? 2 : 4, width);
        int count = shape.Aggregate(1, (a, b) => a * b);
        Assert.Equal(at + 4 * count, data.Length);
        var values = new uint[count];
        for (int i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadUInt32LittleEndian(data[(at + 4 * i)..]);
        return new UIntArray(shape, values);
    }

    private static string ExpectedConfig(JsonElement shard)
    {
        // json.dumps(get_config(), sort_keys=True): the entry's keys minus raw_data, samples and zip_data.
        var parts = shard.EnumerateObject()
            .Where(p => p.Name is not ("raw_data" or "samples" or "zip_data"))
            .Select(p => $"\"{p.Name}\": {PythonJsonValue(p.Value)}");
        return "{" + string.Join(", ", parts) + "}";
    }

    private static string PythonJsonValue(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => "[" + string.Join(", ", e.EnumerateArray().Select(PythonJsonValue)) + "]",
        JsonValueKind.String => "\"" + e.GetString() + "\"",
        JsonValueKind.Null => "null",
        _ => e.GetRawText(),
    };

    private static void CheckHashes(byte[] data, JsonElement recorded, List<string> algorithms)
    {
        Assert.Equal(algorithms, recorded.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        foreach (var p in recorded.EnumerateObject())
        {
            string expected = p.Name switch
            {
                "sha1" => Convert.ToHexStringLower(SHA1.HashData(data)),
                "sha256" => Convert.ToHexStringLower(SHA256.HashData(data)),
                "md5" => Convert.ToHexStringLower(MD5.HashData(data)),
                "xxh64" => XxHash64.HashToUInt64(data).ToString("x16"),
                "xxh3_64" => XxHash3.HashToUInt64(data).ToString("x16"),
                var other => throw new InvalidDataException($"hash {other}"),
            };
            Assert.Equal(expected, p.Value.GetString());
        }
    }

    /// <summary>RFC 8878 §3.1.1.1: the frame header descriptor's FCS flag, or the single-segment flag, means the size is there.</summary>
    public static bool ZstdFrameHasContentSize(ReadOnlySpan<byte> frame)
    {
        Assert.Equal(0xFD2FB528u, BinaryPrimitives.ReadUInt32LittleEndian(frame));
        byte descriptor = frame[4];
        return (descriptor >> 6) != 0 || (descriptor & 0x20) != 0;
    }
}
