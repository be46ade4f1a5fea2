using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// Every document's length against T: num_tokens, and the last span's token_end (the spans must reach exactly
/// num_tokens). A document of another length would shift every training sequence after it.
/// </summary>
internal sealed class ExactLengthCheck(long target)
{
    private readonly SortedDictionary<long, long> _lengths = [];

    public long Target => target;
    public long Documents { get; private set; }
    public long Exact { get; private set; }
    public List<string> FirstMismatches { get; } = [];

    public void Add(string id, long tokens, long spansEnd)
    {
        Documents++;
        // A broken dataset could have a length per document; the first 1,000 distinct lengths say enough.
        if (_lengths.Count < 1000 || _lengths.ContainsKey(tokens)) _lengths[tokens] = _lengths.GetValueOrDefault(tokens) + 1;
        if (tokens == target && spansEnd == tokens) Exact++;
        else if (FirstMismatches.Count < 5) FirstMismatches.Add($"{id}: {tokens:N0} tokens, spans end at {spansEnd:N0}");
    }

    public JsonObject ToJson() => new()
    {
        ["targetTokens"] = target,
        ["documents"] = Documents,
        ["exact"] = Exact,
        ["lengths"] = new JsonArray([.. _lengths.Select(l => (JsonNode)new JsonObject { ["tokens"] = l.Key, ["count"] = l.Value })]),
        ["firstMismatches"] = new JsonArray([.. FirstMismatches.Select(m => (JsonNode)m)]),
    };
}
