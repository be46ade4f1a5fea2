using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// The retriever's scores (span similarity) of the negatives: a histogram in 0.001-wide bins (embedders put most
/// scores in a narrow band, which coarser bins flatten into one bar), and per negative rank the count, mean,
/// extremes and the 10th/50th/90th percentiles (bin centres), as in the paper's Figure 6.
/// </summary>
internal sealed class SimilarityStats
{
    public const double BinWidth = 0.001;
    private const int Bins = 2000;
    private readonly SortedDictionary<int, long> _histogram = [];
    private readonly SortedDictionary<int, Rank> _ranks = [];

    private sealed class Rank
    {
        public long Count;
        public double Sum, Min = double.MaxValue, Max = double.MinValue;
        public readonly SortedDictionary<int, long> Bins = [];
    }

    public long Count { get; private set; }
    public double Sum { get; private set; }

    public void Add(int rank, double similarity)
    {
        int bin = Math.Clamp((int)Math.Floor((Math.Clamp(similarity, -1, 1) + 1) / BinWidth), 0, Bins - 1);
        _histogram[bin] = _histogram.GetValueOrDefault(bin) + 1;
        if (!_ranks.TryGetValue(rank, out var r)) _ranks[rank] = r = new Rank();
        r.Count++;
        r.Sum += similarity;
        r.Min = Math.Min(r.Min, similarity);
        r.Max = Math.Max(r.Max, similarity);
        r.Bins[bin] = r.Bins.GetValueOrDefault(bin) + 1;
        Count++;
        Sum += similarity;
    }

    private static double From(int bin) => Math.Round(-1 + bin * BinWidth, 3);

    private static double Quantile(SortedDictionary<int, long> bins, long count, double q)
    {
        long target = (long)Math.Ceiling(q * count), seen = 0;
        foreach (var (bin, n) in bins)
            if ((seen += n) >= Math.Max(1, target)) return Math.Round(From(bin) + BinWidth / 2, 4);
        return From(bins.Keys.Last());
    }

    public JsonObject ToJson() => new()
    {
        ["negatives"] = Count,
        ["mean"] = Count == 0 ? null : Math.Round(Sum / Count, 6),
        ["binWidth"] = BinWidth,
        ["histogram"] = new JsonArray([.. _histogram.Select(b => (JsonNode)new JsonObject { ["from"] = From(b.Key), ["count"] = b.Value })]),
        ["byRank"] = new JsonArray([.. _ranks.Select(r => (JsonNode)new JsonObject
        {
            ["rank"] = r.Key,
            ["count"] = r.Value.Count,
            ["mean"] = Math.Round(r.Value.Sum / r.Value.Count, 6),
            ["min"] = r.Value.Min,
            ["max"] = r.Value.Max,
            ["p10"] = Quantile(r.Value.Bins, r.Value.Count, 0.1),
            ["p50"] = Quantile(r.Value.Bins, r.Value.Count, 0.5),
            ["p90"] = Quantile(r.Value.Bins, r.Value.Count, 0.9),
        })]),
    };
}
