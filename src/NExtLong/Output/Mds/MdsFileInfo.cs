namespace NExtLong.Output.Mds;

/// <summary>A shard file as index.json describes it (<c>raw_data</c> / <c>zip_data</c>): path relative to the index, size, hashes.</summary>
internal sealed record MdsFileInfo(string Basename, long Bytes, IReadOnlyDictionary<string, string> Hashes)
{
    internal void WriteTo(PythonJsonWriter json)
    {
        json.StartObject().Name("basename").String(Basename).Name("bytes").Number(Bytes).Name("hashes").StartObject();
        foreach (var (algorithm, digest) in Hashes.OrderBy(h => h.Key, StringComparer.Ordinal))
            json.Name(algorithm).String(digest);
        json.EndObject().EndObject();
    }
}
