using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// Counts by power-of-two bins (a value v falls in the bin whose upper bound is the least power of two ≥ v; 0 and 1
/// share the bin "≤ 1"): token lengths and distances span four orders of magnitude, so linear bins would hide all
/// but the largest.
/// </summary>
internal sealed class Log2Histogram
{
    private readonly SortedDictionary<long, long> _bins = [];

    public long Count { get; private set; }

    public void Add(long value)
    {
        long bin = value <= 1 ? 1 : 1L << (int)Math.Ceiling(Math.Log2(value));
        _bins[bin] = _bins.GetValueOrDefault(bin) + 1;
        Count++;
    }

    /// <summary>[{"upTo": bound, "count": n}, …] in increasing order.</summary>
    public JsonArray ToJson() => [.. _bins.Select(b => (JsonNode)new JsonObject { ["upTo"] = b.Key, ["count"] = b.Value })];
}
