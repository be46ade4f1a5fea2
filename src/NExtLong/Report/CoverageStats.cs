using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// How much of each meta-document survives the cut to T: the distinct meta-chunk indices present in the document's
/// spans against meta_document.meta_chunks, by meta-document length (power-of-two bins of characters).
/// </summary>
internal sealed class CoverageStats
{
    private readonly SortedDictionary<long, (long Documents, long Kept, long Total, long Complete)> _byLength = [];

    public long Kept { get; private set; }
    public long Total { get; private set; }
    public long Documents { get; private set; }
    public long Complete { get; private set; }

    public void Add(long chars, int kept, int total)
    {
        if (total <= 0) return; // a baseline document has no meta-chunks
        bool complete = kept >= total;
        long bin = chars <= 1024 ? 1024 : 1L << (int)Math.Ceiling(Math.Log2(chars));
        var b = _byLength.GetValueOrDefault(bin);
        _byLength[bin] = (b.Documents + 1, b.Kept + kept, b.Total + total, b.Complete + (complete ? 1 : 0));
        Documents++;
        Kept += kept;
        Total += total;
        if (complete) Complete++;
    }

    public double? Share => Total == 0 ? null : (double)Kept / Total;

    public JsonObject ToJson() => new()
    {
        ["metaChunksKept"] = Kept,
        ["metaChunksTotal"] = Total,
        ["share"] = Share,
        ["documents"] = Documents,
        ["documentsComplete"] = Complete,
        ["byLength"] = new JsonArray([.. _byLength.Select(b => (JsonNode)new JsonObject
        {
            ["charsUpTo"] = b.Key,
            ["documents"] = b.Value.Documents,
            ["metaChunksKept"] = b.Value.Kept,
            ["metaChunksTotal"] = b.Value.Total,
            ["documentsComplete"] = b.Value.Complete,
            ["share"] = (double)b.Value.Kept / b.Value.Total,
        })]),
    };
}
