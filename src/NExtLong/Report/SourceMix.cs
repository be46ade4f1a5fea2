using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>Per corpus source: how many long documents it seeded, and the meta and negative tokens it supplied.</summary>
internal sealed class SourceMix
{
    private readonly SortedDictionary<string, long[]> _sources = new(StringComparer.Ordinal);

    private long[] Of(string source) => _sources.TryGetValue(source, out var s) ? s : _sources[source] = new long[5];

    public void AddDocument(string source) => Of(source)[0]++;

    public void AddSpan(string source, bool meta, long tokens)
    {
        var s = Of(source);
        s[meta ? 1 : 2] += tokens;
        s[meta ? 3 : 4]++;
    }

    public JsonArray ToJson()
    {
        long total = _sources.Values.Sum(s => s[1] + s[2]);
        return [.. _sources.Select(s => (JsonNode)new JsonObject
        {
            ["source"] = s.Key,
            ["documents"] = s.Value[0],
            ["metaTokens"] = s.Value[1],
            ["negativeTokens"] = s.Value[2],
            ["metaSpans"] = s.Value[3],
            ["negativeSpans"] = s.Value[4],
            ["tokenShare"] = total == 0 ? 0 : Math.Round((double)(s.Value[1] + s.Value[2]) / total, 6),
        })];
    }
}
