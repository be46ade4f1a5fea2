using System.Text.Json;
using System.Text.Json.Nodes;
using ZstdSharp;

namespace NExtLong.Report;

/// <summary>
/// What the report shows of one dataset folder, gathered in one streaming pass over its part files: per-document
/// meta share, span lengths, distances between consecutive meta-chunks, similarities and sources, plus a few whole
/// documents for the viewer.
/// </summary>
internal sealed class DatasetSummary
{
    public const int ShareBins = 20;
    public const int SimilarityBins = 200;

    public required string Name { get; init; }
    public required JsonNode Config { get; init; }
    public required JsonNode Stats { get; init; }
    public int Documents { get; private set; }
    public long[] MetaShare { get; } = new long[ShareBins];
    public SortedDictionary<int, long> MetaSpanTokens { get; } = [];
    public SortedDictionary<int, long> NegativeSpanTokens { get; } = [];
    public SortedDictionary<int, long> MetaDistance { get; } = [];
    public long[] Similarity { get; } = new long[SimilarityBins];
    public SortedDictionary<string, long> MetaSources { get; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> NegativeSources { get; } = new(StringComparer.Ordinal);
    public List<JsonObject> Samples { get; } = [];

    public static DatasetSummary Read(string dir, int samples, CancellationToken ct = default)
    {
        string configPath = Path.Combine(dir, "config.json"), statsPath = Path.Combine(dir, "stats.json");
        if (!File.Exists(statsPath))
            throw new FileNotFoundException($"{dir}: not a finished dataset (stats.json is missing)", statsPath);
        var summary = new DatasetSummary
        {
            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))),
            Config = JsonNode.Parse(File.ReadAllText(configPath))!,
            Stats = JsonNode.Parse(File.ReadAllText(statsPath))!,
        };
        foreach (var part in Directory.GetFiles(dir, "part-*.jsonl.zst").Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(new DecompressionStream(File.OpenRead(part)));
            int line = 0;
            for (string? text; (text = reader.ReadLine()) is not null;)
            {
                // A document is T tokens of JSON (megabytes for long T): one check each costs nothing.
                ct.ThrowIfCancellationRequested();
                line++;
                JsonDocument doc;
                try { doc = JsonDocument.Parse(text); }
                catch (JsonException e) { throw new InvalidDataException($"{part}, line {line}: not a nextlong document ({e.Message})", e); }
                using (doc) summary.Add(doc.RootElement, samples);
            }
        }
        return summary;
    }

    private void Add(JsonElement doc, int samples)
    {
        Documents++;
        int total = doc.GetProperty("num_tokens").GetInt32();
        long meta = 0;
        int lastMetaStart = -1;
        foreach (var span in doc.GetProperty("spans").EnumerateArray())
        {
            string role = span.GetProperty("role").GetString()!;
            int start = span.GetProperty("token_start").GetInt32(), tokens = span.GetProperty("token_end").GetInt32() - start;
            string source = span.GetProperty("source").GetString()!;
            bool isMeta = role == "meta" || (role == "document" && span.GetProperty("rank").GetInt32() == 0);
            if (isMeta)
            {
                meta += tokens;
                Bump(MetaSpanTokens, Log2Bin(tokens));
                MetaSources[source] = MetaSources.GetValueOrDefault(source) + 1;
                if (role == "meta" && lastMetaStart >= 0) Bump(MetaDistance, Log2Bin(start - lastMetaStart));
                if (role == "meta") lastMetaStart = start;
                continue;
            }
            Bump(NegativeSpanTokens, Log2Bin(tokens));
            NegativeSources[source] = NegativeSources.GetValueOrDefault(source) + 1;
            if (span.GetProperty("similarity").ValueKind == JsonValueKind.Number)
            {
                double s = Math.Clamp(span.GetProperty("similarity").GetDouble(), -1, 1);
                Similarity[Math.Min(SimilarityBins - 1, (int)((s + 1) / 2 * SimilarityBins))]++;
            }
        }
        MetaShare[Math.Min(ShareBins - 1, (int)((double)meta / Math.Max(1, total) * ShareBins))]++;
        if (Samples.Count < samples) Samples.Add(Viewable(doc));
    }

    // The viewer gets each span's text cut out of the document, so the page needs no offset arithmetic.
    private static JsonObject Viewable(JsonElement doc)
    {
        string text = doc.GetProperty("text").GetString()!;
        var spans = new JsonArray();
        foreach (var span in doc.GetProperty("spans").EnumerateArray())
        {
            int from = TextLength.Utf16IndexOf(text, span.GetProperty("char_start").GetInt32());
            int to = TextLength.Utf16IndexOf(text, span.GetProperty("char_end").GetInt32());
            spans.Add(new JsonObject
            {
                ["role"] = span.GetProperty("role").GetString(),
                ["metaChunk"] = span.GetProperty("meta_chunk").GetInt32(),
                ["rank"] = span.GetProperty("rank").GetInt32(),
                ["similarity"] = span.GetProperty("similarity").ValueKind == JsonValueKind.Number ? span.GetProperty("similarity").GetDouble() : null,
                ["document"] = span.GetProperty("document").GetString(),
                ["source"] = span.GetProperty("source").GetString(),
                ["tokens"] = span.GetProperty("token_end").GetInt32() - span.GetProperty("token_start").GetInt32(),
                ["truncated"] = span.GetProperty("truncated").GetBoolean(),
                ["text"] = text[from..to],
            });
        }
        return new JsonObject
        {
            ["id"] = doc.GetProperty("id").GetString(),
            ["metaDocument"] = doc.GetProperty("meta_document").GetProperty("id").GetString(),
            ["k"] = doc.GetProperty("k").GetInt32(),
            ["tokens"] = doc.GetProperty("num_tokens").GetInt32(),
            ["spans"] = spans,
        };
    }

    private static int Log2Bin(int value) => value <= 1 ? 1 : 1 << (int)Math.Ceiling(Math.Log2(value));

    private static void Bump(SortedDictionary<int, long> bins, int bin) => bins[bin] = bins.GetValueOrDefault(bin) + 1;

    public JsonObject ToJson()
    {
        static JsonObject Bins<TKey>(SortedDictionary<TKey, long> d) where TKey : notnull
            => new() { ["labels"] = new JsonArray([.. d.Keys.Select(k => (JsonNode)JsonValue.Create(k.ToString())!)]), ["values"] = new JsonArray([.. d.Values.Select(v => (JsonNode)v)]) };
        static JsonArray Array(long[] values) => new([.. values.Select(v => (JsonNode)v)]);
        var stats = Stats;
        long negatives = stats["negatives"]?.GetValue<long>() ?? 0, skipped = stats["near_duplicates_skipped"]?.GetValue<long>() ?? 0;
        string method = Config["method"]?.GetValue<string>() ?? "nextlong";
        string label = method == "nextlong"
            ? $"{Name} (nextlong, {Config["negative_selection"]?.GetValue<string>() ?? "topk"}, {Config["meta_chunk_placement"]?.GetValue<string>() ?? "head"})"
            : $"{Name} ({method})";
        return new JsonObject
        {
            ["name"] = Name,
            ["label"] = label,
            ["method"] = method,
            ["documents"] = Documents,
            ["targetTokens"] = Config["target_tokens"]?.DeepClone(),
            ["tokenizer"] = Config["tokenizer"]?.DeepClone(),
            ["metaShareTokens"] = stats["tokens"]?["meta_share"]?.DeepClone(),
            ["meanSimilarity"] = stats["similarity"]?["mean"]?.DeepClone(),
            ["nearDuplicateRate"] = negatives + skipped == 0 ? 0 : (double)skipped / (negatives + skipped),
            ["dropped"] = stats["dropped"]?.DeepClone(),
            ["encodingRate"] = stats["encoding_rate"]?["chars_per_token"]?.DeepClone(),
            ["meanK"] = stats["k"]?["mean"]?.DeepClone(),
            ["metaShare"] = Array(MetaShare),
            ["metaSpanTokens"] = Bins(MetaSpanTokens),
            ["negativeSpanTokens"] = Bins(NegativeSpanTokens),
            ["metaDistance"] = Bins(MetaDistance),
            ["similarity"] = Array(Similarity),
            ["metaSources"] = Bins(MetaSources),
            ["negativeSources"] = Bins(NegativeSources),
            ["samples"] = new JsonArray([.. Samples]),
        };
    }
}
