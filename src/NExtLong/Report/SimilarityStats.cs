using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// The retriever's scores (span similarity) of the negatives: a histogram in bins of a width fit for the score
/// (cosines: 0.001, since embedders put most scores in a narrow band that coarser bins flatten into one bar; BM25
/// scores, unbounded and tens wide: 0.1), and per negative rank the count, mean, extremes and the 10th/50th/90th
/// percentiles (bin centres), as in the paper's Figure 6.
/// </summary>
/// <param name="scoreKind">"cosine" (dense and hybrid retrievers, the baselines) or "bm25".</param>
internal sealed class SimilarityStats(string scoreKind)
{
    public const string Cosine = "cosine", Bm25 = "bm25";
    // Bins per unit of score, a whole number, so a bin's edges are exact multiples of its width.
    private readonly int _binsPerUnit = scoreKind == Bm25 ? 10 : 1000;
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
        int bin = (int)Math.Floor(similarity * _binsPerUnit);
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

    private double From(int bin) => Math.Round((double)bin / _binsPerUnit, 6);

    private double Quantile(SortedDictionary<int, long> bins, long count, double q)
    {
        long target = (long)Math.Ceiling(q * count), seen = 0;
        foreach (var (bin, n) in bins)
            if ((seen += n) >= Math.Max(1, target)) return Math.Round(From(bin) + 0.5 / _binsPerUnit, 6);
        return From(bins.Keys.Last());
    }

    public JsonObject ToJson() => new()
    {
        ["negatives"] = Count,
        ["mean"] = Count == 0 ? null : Math.Round(Sum / Count, 6),
        ["scoreKind"] = scoreKind,
        ["binWidth"] = 1.0 / _binsPerUnit,
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
