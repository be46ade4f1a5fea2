namespace NExtLong.Output.Mds;

/// <summary>
/// One entry of index.json's "shards": exactly the keys mosaicml-streaming's <c>MDSReader.from_json</c> accepts
/// (an extra key would make it raise), written in sorted order as its <c>json.dump(sort_keys=True)</c> writes them.
/// </summary>
internal sealed record MdsShardInfo(
    IReadOnlyList<MdsColumn> Columns,
    string? Compression,
    IReadOnlyList<string> Hashes,
    MdsFileInfo RawData,
    long Samples,
    long? SizeLimit,
    MdsFileInfo? ZipData)
{
    public const int Version = 2;
    public const string Format = "mds";

    /// <summary>The file on disk: the compressed one when there is one (only it is written).</summary>
    public string StoredBasename => (ZipData ?? RawData).Basename;

    /// <summary>The same shard seen from a parent folder: basenames gain "<paramref name="folder"/>/".</summary>
    public MdsShardInfo InFolder(string folder) => this with
    {
        RawData = RawData with { Basename = folder + "/" + RawData.Basename },
        ZipData = ZipData is null ? null : ZipData with { Basename = folder + "/" + ZipData.Basename },
    };

    internal void WriteTo(PythonJsonWriter json)
    {
        json.StartObject();
        WriteConfig(json, Columns, Compression, Hashes, SizeLimit, shardKeys: this);
        json.EndObject();
    }

    /// <summary>
    /// The writer's config (the JSON a shard carries after its offsets): the shard entry's keys without
    /// "raw_data", "samples" and "zip_data".
    /// </summary>
    public static string ConfigJson(IReadOnlyList<MdsColumn> columns, string? compression, IReadOnlyList<string> hashes, long? sizeLimit)
    {
        var json = new PythonJsonWriter().StartObject();
        WriteConfig(json, columns, compression, hashes, sizeLimit, shardKeys: null);
        return json.EndObject().ToString();
    }

    // Keys in sorted order; the shard-only ones slot in where they sort.
    private static void WriteConfig(PythonJsonWriter json, IReadOnlyList<MdsColumn> columns, string? compression,
        IReadOnlyList<string> hashes, long? sizeLimit, MdsShardInfo? shardKeys)
    {
        json.Name("column_encodings").StartArray();
        foreach (var c in columns) json.String(c.Encoding.Name);
        json.EndArray().Name("column_names").StartArray();
        foreach (var c in columns) json.String(c.Name);
        json.EndArray().Name("column_sizes").StartArray();
        foreach (var c in columns)
        {
            if (c.Encoding.FixedSize is int size) json.Number(size);
            else json.Null();
        }
        json.EndArray().Name("compression").String(compression).Name("format").String(Format).Name("hashes").StartArray();
        foreach (var h in hashes) json.String(h);
        json.EndArray();
        if (shardKeys is not null)
        {
            json.Name("raw_data");
            shardKeys.RawData.WriteTo(json);
            json.Name("samples").Number(shardKeys.Samples);
        }
        json.Name("size_limit");
        if (sizeLimit is long limit) json.Number(limit);
        else json.Null();
        json.Name("version").Number(Version);
        if (shardKeys is not null)
        {
            json.Name("zip_data");
            if (shardKeys.ZipData is null) json.Null();
            else shardKeys.ZipData.WriteTo(json);
        }
    }
}
