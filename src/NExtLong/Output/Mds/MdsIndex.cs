using System.Text.Json;
using NExtLong.Pipeline;

namespace NExtLong.Output.Mds;

/// <summary>
/// index.json of an MDS dataset: <c>{"shards": [...], "version": 2}</c>, one line, as mosaicml-streaming writes it.
/// A parent folder's index lists its subfolders' shards with basenames such as "fineweb/shard.00000.mds".
/// </summary>
internal static class MdsIndex
{
    public const string FileName = "index.json";

    public static string ToJson(IEnumerable<MdsShardInfo> shards)
    {
        var json = new PythonJsonWriter().StartObject().Name("shards").StartArray();
        foreach (var shard in shards) shard.WriteTo(json);
        return json.EndArray().Name("version").Number(MdsShardInfo.Version).EndObject().ToString();
    }

    /// <summary>Writes <paramref name="dir"/>/index.json under a temporary name, then renames it.</summary>
    public static void Write(string dir, IEnumerable<MdsShardInfo> shards) =>
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), ToJson(shards));

    /// <summary>Reads and checks an index.json; errors name the file and the shard.</summary>
    public static List<MdsShardInfo> Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Checks and reads index.json text; <paramref name="path"/> names it in errors.</summary>
    public static List<MdsShardInfo> Parse(ReadOnlyMemory<byte> json, string path)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || v.GetInt32() != MdsShardInfo.Version)
                throw new InvalidDataException($"{path}: not an MDS index (needs \"version\": 2)");
            if (!root.TryGetProperty("shards", out var shards) || shards.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{path}: no \"shards\" list");
            var result = new List<MdsShardInfo>();
            foreach (var shard in shards.EnumerateArray())
            {
                try
                {
                    result.Add(ReadShard(shard));
                }
                catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or InvalidDataException)
                {
                    throw new InvalidDataException($"{path}: shard {result.Count}: {e.Message}", e);
                }
            }
            return result;
        }
    }

    private static MdsShardInfo ReadShard(JsonElement s)
    {
        if (s.GetProperty("format").GetString() != MdsShardInfo.Format)
            throw new InvalidDataException($"format is \"{s.GetProperty("format")}\", not \"mds\"");
        if (s.GetProperty("version").GetInt32() != MdsShardInfo.Version)
            throw new InvalidDataException("version is not 2");
        var names = s.GetProperty("column_names").EnumerateArray().Select(e => e.GetString()!).ToList();
        var encodings = s.GetProperty("column_encodings").EnumerateArray().Select(e => MdsEncoding.Parse(e.GetString()!)).ToList();
        if (names.Count != encodings.Count)
            throw new InvalidDataException($"{names.Count} column names but {encodings.Count} encodings");
        var sizes = s.GetProperty("column_sizes").EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? (int?)null : e.GetInt32()).ToList();
        for (int i = 0; i < names.Count; i++)
        {
            if (i >= sizes.Count || sizes[i] != encodings[i].FixedSize)
                throw new InvalidDataException($"column \"{names[i]}\" ({encodings[i]}) has size {(i < sizes.Count ? sizes[i]?.ToString() ?? "null" : "missing")}, expected {encodings[i].FixedSize?.ToString() ?? "null"}");
        }
        var zip = s.TryGetProperty("zip_data", out var z) && z.ValueKind != JsonValueKind.Null ? ReadFile(z) : null;
        string? compression = s.TryGetProperty("compression", out var c) && c.ValueKind != JsonValueKind.Null ? c.GetString() : null;
        if (zip is not null && compression is null)
            throw new InvalidDataException("has zip_data but no compression");
        if (compression is not null)
            MdsCompression.Parse(compression);
        long? sizeLimit = s.TryGetProperty("size_limit", out var l) && l.ValueKind != JsonValueKind.Null ? l.GetInt64() : null;
        var hashes = s.TryGetProperty("hashes", out var h) ? h.EnumerateArray().Select(e => e.GetString()!).ToList() : [];
        return new MdsShardInfo(
            [.. names.Zip(encodings, (n, e) => new MdsColumn(n, e))], compression, hashes,
            ReadFile(s.GetProperty("raw_data")), s.GetProperty("samples").GetInt64(), sizeLimit, zip);
    }

    private static MdsFileInfo ReadFile(JsonElement f)
    {
        string basename = f.GetProperty("basename").GetString()!;
        if (basename.Length == 0 || Path.IsPathRooted(basename) || basename.Split('/', '\\').Contains(".."))
            throw new InvalidDataException($"basename \"{basename}\" is not a path inside the dataset");
        var hashes = f.TryGetProperty("hashes", out var h) && h.ValueKind == JsonValueKind.Object
            ? h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)
            : [];
        return new MdsFileInfo(basename, f.GetProperty("bytes").GetInt64(), hashes);
    }
}
