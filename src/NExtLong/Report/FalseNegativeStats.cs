using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// False negatives: a negative whose text shares at least half of its distinct word 5-grams with the meta-document
/// (the meta-chunks present in the same long document) is a copy of it, not a distractor. Also the overlap's
/// distribution in 5 % bins, and what synthesis already skipped: the near-duplicates (similarity above its threshold)
/// and the text-level guard's skips by reason (stats.json's false_negatives_skipped).
/// </summary>
internal sealed class FalseNegativeStats
{
    public const double Threshold = 0.5;
    private const int Bins = 20;
    private readonly long[] _overlap = new long[Bins];

    /// <summary>Negatives with at least one 5-gram (shorter ones cannot be compared and are not counted).</summary>
    public long Checked { get; private set; }
    public long FalseNegatives { get; private set; }
    public long NearDuplicatesSkipped { get; set; }

    /// <summary>Candidates synthesis skipped as copies, by reason (near_duplicate_cosine, shingle_containment, shingle_jaccard); empty for datasets made before the guard.</summary>
    public SortedDictionary<string, long> SkippedByReason { get; } = new(StringComparer.Ordinal);

    public void Add(HashSet<ulong> meta, HashSet<ulong> negative)
    {
        if (negative.Count == 0) return;
        int shared = 0;
        foreach (var gram in negative) if (meta.Contains(gram)) shared++;
        double overlap = (double)shared / negative.Count;
        _overlap[Math.Min(Bins - 1, (int)(overlap * Bins))]++;
        Checked++;
        if (overlap >= Threshold) FalseNegatives++;
    }

    public double? Rate => Checked == 0 ? null : (double)FalseNegatives / Checked;

    public JsonObject ToJson(double? nearDuplicateThreshold, double? guardThreshold) => new()
    {
        ["ngram"] = WordShingles.N,
        ["threshold"] = Threshold,
        ["negativesChecked"] = Checked,
        ["falseNegatives"] = FalseNegatives,
        ["rate"] = Rate,
        ["nearDuplicatesSkipped"] = NearDuplicatesSkipped,
        ["nearDuplicateThreshold"] = nearDuplicateThreshold,
        ["skippedByReason"] = new JsonObject([.. SkippedByReason.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]),
        ["guardThreshold"] = guardThreshold,
        ["overlap"] = new JsonArray([.. _overlap.Select((n, i) => (JsonNode)new JsonObject { ["from"] = (double)i / Bins, ["to"] = (double)(i + 1) / Bins, ["count"] = n })]),
    };
}
