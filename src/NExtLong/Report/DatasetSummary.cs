using System.Text.Json;
using System.Text.Json.Nodes;
using ZstdSharp;

namespace NExtLong.Report;

/// <summary>
/// What the report measures of one dataset folder, gathered in one streaming pass over its part files (one document
/// in memory at a time): coverage of the meta-documents, false negatives, the retriever's scores by rank, span
/// lengths, dependency distances, sources, exact length, and the checks of the warnings panel; plus the first few
/// whole documents for the viewer.
/// </summary>
internal sealed class DatasetSummary
{
    public const int ShareBins = 20;
    public const double FalseNegativeRateLimit = 0.01, CoverageLimit = 0.5, DropRateLimit = 0.1;

    public required string Name { get; init; }
    public required JsonNode Config { get; init; }
    public required JsonNode Stats { get; init; }
    public string? RecipeModel { get; init; }
    public int Documents { get; private set; }
    private readonly long[] _metaShare = new long[ShareBins];
    private readonly Log2Histogram _metaSpanTokens = new(), _negativeSpanTokens = new();
    private readonly Log2Histogram _metaGap = new(), _ownDocumentGap = new(), _sameDocumentGap = new();
    private SimilarityStats _similarity = null!;
    // The embedding cosines a bm25 synthesis over an index with vectors records beside its BM25 scores (span "cosine").
    private readonly SimilarityStats _cosine = new(SimilarityStats.Cosine);
    private readonly CoverageStats _coverage = new();
    private readonly FalseNegativeStats _falseNegatives = new();
    private readonly SourceMix _sources = new();
    private ExactLengthCheck _exact = null!;
    public List<JsonObject> Samples { get; } = [];

    private readonly record struct Span(bool Meta, bool Negative, int MetaChunk, string Document, int Start, int End, int From, int To);

    /// <summary>Reads the finished dataset folder <paramref name="dir"/> in one streaming pass.</summary>
    /// <param name="dir">A dataset folder with stats.json (a finished synthesis) and its jsonl.zst parts.</param>
    /// <param name="samples">Whole documents to keep for the viewer, the first ones; 0 for none.</param>
    /// <param name="name">How the report names it (the folder's name, made unique among the datasets by the caller).</param>
    /// <param name="ct">Stops the pass between documents.</param>
    /// <exception cref="FileNotFoundException">The folder holds no stats.json: not a finished dataset.</exception>
    public static DatasetSummary Read(string dir, int samples, string name, CancellationToken ct = default)
    {
        string configPath = Path.Combine(dir, "config.json"), statsPath = Path.Combine(dir, "stats.json");
        if (!File.Exists(statsPath))
            throw new FileNotFoundException($"{dir}: not a finished dataset (stats.json is missing)", statsPath);
        var summary = new DatasetSummary
        {
            Name = name,
            Config = JsonNode.Parse(File.ReadAllText(configPath))!,
            Stats = JsonNode.Parse(File.ReadAllText(statsPath))!,
            RecipeModel = TrainingRecipe.Model(dir),
        };
        summary._exact = new ExactLengthCheck(summary.Config["target_tokens"]?.GetValue<long>() ?? 0);
        // Only NExtLong's bm25 negatives carry BM25 scores; hybrid reports cosines, and the baselines document cosines.
        bool bm25 = summary.Config["retriever"]?.GetValue<string>() == "bm25" && (summary.Config["method"]?.GetValue<string>() ?? "nextlong") == "nextlong";
        summary._similarity = new SimilarityStats(bm25 ? SimilarityStats.Bm25 : SimilarityStats.Cosine);
        long skipped = 0;
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
                using (doc)
                {
                    summary.Add(doc.RootElement);
                    if (summary.Samples.Count < samples) summary.Samples.Add(ViewerSample.From(doc.RootElement, summary.Name));
                    if (doc.RootElement.TryGetProperty("near_duplicates_skipped", out var n)) skipped += n.GetInt64();
                }
            }
        }
        // stats.json also counts the skips of candidates that were dropped; the documents' own counts are the fallback.
        summary._falseNegatives.NearDuplicatesSkipped = summary.Stats["near_duplicates_skipped"]?.GetValue<long>() ?? skipped;
        if (summary.Stats["false_negatives_skipped"] is JsonObject byReason)
            foreach (var (reason, count) in byReason) summary._falseNegatives.SkippedByReason[reason] = count?.GetValue<long>() ?? 0;
        return summary;
    }

    private void Add(JsonElement doc)
    {
        Documents++;
        string text = doc.GetProperty("text").GetString()!;
        var metaDocument = doc.GetProperty("meta_document");
        string metaId = metaDocument.GetProperty("id").GetString()!;
        _sources.AddDocument(metaDocument.GetProperty("source").GetString()!);
        var offsets = new ScalarOffsets(text);
        var spans = new List<Span>();
        var metaChunks = new HashSet<int>();
        long metaTokens = 0;
        foreach (var s in doc.GetProperty("spans").EnumerateArray())
        {
            string role = s.GetProperty("role").GetString()!;
            bool meta = role == "meta" || (role == "document" && s.GetProperty("rank").GetInt32() == 0);
            var span = new Span(meta, role == "negative" || (role == "document" && !meta), s.GetProperty("meta_chunk").GetInt32(),
                s.GetProperty("document").GetString()!, s.GetProperty("token_start").GetInt32(), s.GetProperty("token_end").GetInt32(),
                offsets.IndexOf(s.GetProperty("char_start").GetInt32()), offsets.IndexOf(s.GetProperty("char_end").GetInt32()));
            spans.Add(span);
            int tokens = span.End - span.Start;
            _sources.AddSpan(s.GetProperty("source").GetString()!, meta, tokens);
            if (meta)
            {
                metaTokens += tokens;
                _metaSpanTokens.Add(tokens);
                if (role == "meta") metaChunks.Add(span.MetaChunk);
                continue;
            }
            _negativeSpanTokens.Add(tokens);
            if (s.GetProperty("similarity").ValueKind == JsonValueKind.Number)
                _similarity.Add(s.GetProperty("rank").GetInt32(), s.GetProperty("similarity").GetDouble());
            if (s.TryGetProperty("cosine", out var cosine) && cosine.ValueKind == JsonValueKind.Number)
                _cosine.Add(s.GetProperty("rank").GetInt32(), cosine.GetDouble());
        }
        int numTokens = doc.GetProperty("num_tokens").GetInt32();
        _metaShare[Math.Min(ShareBins - 1, (int)((double)metaTokens / Math.Max(1, numTokens) * ShareBins))]++;
        _coverage.Add(metaDocument.GetProperty("chars").GetInt64(), metaChunks.Count, metaDocument.GetProperty("meta_chunks").GetInt32());
        _exact.Add(doc.GetProperty("id").GetString()!, numTokens, spans.Count == 0 ? 0 : spans[^1].End);
        AddFalseNegatives(text, spans);
        AddDistances(spans, metaId);
    }

    private void AddFalseNegatives(string text, List<Span> spans)
    {
        var meta = new HashSet<ulong>();
        foreach (var s in spans) if (s.Meta) WordShingles.Add(text.AsSpan(s.From, s.To - s.From), meta);
        var negative = new HashSet<ulong>();
        foreach (var s in spans)
        {
            if (!s.Negative) continue;
            negative.Clear();
            WordShingles.Add(text.AsSpan(s.From, s.To - s.From), negative);
            _falseNegatives.Add(meta, negative);
        }
    }

    // Tokens strictly between two spans: what a model must carry a dependency across.
    private void AddDistances(List<Span> spans, string metaId)
    {
        Span? previousMeta = null;
        var ownNegatives = new List<Span>();
        var lastEnd = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in spans)
        {
            if (s.Meta)
            {
                if (previousMeta is { } p && s.MetaChunk != p.MetaChunk) _metaGap.Add(s.Start - p.End);
                previousMeta = s;
                continue;
            }
            if (!s.Negative) continue;
            if (s.Document == metaId) ownNegatives.Add(s);
            if (lastEnd.TryGetValue(s.Document, out int end)) _sameDocumentGap.Add(s.Start - end);
            lastEnd[s.Document] = s.End;
        }
        if (ownNegatives.Count == 0) return;
        foreach (var m in spans)
            if (m.Meta)
                _ownDocumentGap.Add(ownNegatives.Min(n => n.Start >= m.End ? n.Start - m.End : m.Start - n.End));
    }

    private long DroppedTotal => Stats["dropped"] is JsonObject d ? d.Sum(kv => kv.Value?.GetValue<long>() ?? 0) : 0;

    private IEnumerable<ReportCheck> Checks()
    {
        string tokenizer = Config["tokenizer"]?.GetValue<string>() ?? "?";
        yield return RecipeModel is null
            ? ReportCheck.Of("tokenizer vs recipe model", null, tokenizer, "the recipe model's own tokenizer", "no train-prolong.sh with a MODEL line")
            : ReportCheck.Of("tokenizer vs recipe model", TrainingRecipe.TokenizerMatches(RecipeModel, tokenizer) is bool ok ? !ok : null,
                $"{tokenizer} for {RecipeModel}", "the recipe model's own tokenizer (llama3 for Llama 3 models)",
                "T and the token offsets were counted with this tokenizer; the model will see other lengths");
        var fnRate = _falseNegatives.Rate;
        yield return ReportCheck.Of("false-negative rate", fnRate is null ? null : fnRate > FalseNegativeRateLimit,
            fnRate is null ? "no negatives" : $"{fnRate:P2} ({_falseNegatives.FalseNegatives:N0} of {_falseNegatives.Checked:N0})",
            $"> {FalseNegativeRateLimit:P0}", $"negatives sharing ≥ {FalseNegativeStats.Threshold:P0} of their word {WordShingles.N}-grams with the meta-document");
        var coverage = _coverage.Share;
        yield return ReportCheck.Of("meta-chunk coverage", coverage is null ? null : coverage < CoverageLimit,
            coverage is null ? "no meta-chunks (baseline)" : $"{coverage:P1} ({_coverage.Kept:N0} of {_coverage.Total:N0} meta-chunks)",
            $"< {CoverageLimit:P0}", "meta-chunks that survive the cut to T");
        long tried = Stats["candidates_tried"]?.GetValue<long>() ?? 0, dropped = DroppedTotal;
        yield return ReportCheck.Of("dropped candidates", tried == 0 ? null : (double)dropped / tried > DropRateLimit,
            tried == 0 ? "none tried" : $"{(double)dropped / tried:P1} ({dropped:N0} of {tried:N0} tried)", $"> {DropRateLimit:P0}",
            "meta-documents that could not be made into a document of T tokens");
        yield return ReportCheck.Of("exact T", _exact.Exact != _exact.Documents,
            $"{_exact.Exact:N0} of {_exact.Documents:N0} documents", "every document exactly T tokens",
            _exact.FirstMismatches.Count == 0 ? $"T = {_exact.Target:N0}" : string.Join("; ", _exact.FirstMismatches));
    }

    /// <summary>The measures, as `report --json` writes them and the page plots them.</summary>
    public JsonObject ToJson()
    {
        string method = Config["method"]?.GetValue<string>() ?? "nextlong";
        string label = method == "nextlong"
            ? $"{Name} (nextlong, {Config["negative_selection"]?.GetValue<string>() ?? "topk"}, {Config["meta_chunk_placement"]?.GetValue<string>() ?? "head"})"
            : $"{Name} ({method})";
        var index = Config["index"];
        var checks = Checks().ToList();
        return new JsonObject
        {
            ["name"] = Name,
            ["label"] = label,
            ["method"] = method,
            ["documents"] = Documents,
            ["targetTokens"] = Config["target_tokens"]?.DeepClone(),
            ["tokenizer"] = Config["tokenizer"]?.DeepClone(),
            ["recipeModel"] = RecipeModel,
            ["encodingRate"] = Stats["encoding_rate"]?["chars_per_token"]?.DeepClone(),
            ["meanK"] = Stats["k"]?["mean"]?.DeepClone(),
            ["metaShareTokens"] = Stats["tokens"]?["meta_share"]?.DeepClone(),
            ["candidatesTried"] = Stats["candidates_tried"]?.DeepClone(),
            ["dropped"] = Stats["dropped"]?.DeepClone() ?? new JsonObject(),
            ["droppedTotal"] = DroppedTotal,
            ["retriever"] = new JsonObject
            {
                // Which retriever mined the negatives (dense, bm25, hybrid); datasets from before retrievers were dense.
                ["kind"] = Config["retriever"]?.DeepClone() ?? "dense",
                ["lexical"] = index?["lexical"]?.DeepClone(),
                // What the index was built for: a hybrid (or dense) index holds vectors even under a bm25 synthesis.
                ["indexRetriever"] = index?["retriever"]?.DeepClone(),
                ["embedder"] = index?["embedder"]?.DeepClone(),
                ["dimension"] = index?["dimension"]?.DeepClone(),
                ["indexSpec"] = index?["spec"]?.DeepClone(),
                ["chunkChars"] = index?["chunk_chars"]?.DeepClone(),
                ["indexedChunks"] = index?["chunks"]?.DeepClone(),
                ["negativeSelection"] = Config["negative_selection"]?.DeepClone(),
                ["candidatePool"] = Config["candidate_pool"]?.DeepClone(),
            },
            ["similarity"] = _similarity.ToJson(),
            // Where the similarity is BM25 but the index has vectors; null where the similarity is the cosine itself, or no vectors.
            ["denseCosine"] = _cosine.Count == 0 ? null : _cosine.ToJson(),
            ["coverage"] = _coverage.ToJson(),
            ["falseNegatives"] = _falseNegatives.ToJson(Config["near_duplicate_threshold"]?.GetValue<double>(), Config["false_negative_threshold"]?.GetValue<double>()),
            ["metaShare"] = new JsonArray([.. _metaShare.Select((n, i) => (JsonNode)new JsonObject { ["from"] = (double)i / ShareBins, ["to"] = (double)(i + 1) / ShareBins, ["count"] = n })]),
            ["spanTokens"] = new JsonObject { ["meta"] = _metaSpanTokens.ToJson(), ["negative"] = _negativeSpanTokens.ToJson() },
            ["distance"] = new JsonObject
            {
                ["metaToNextMeta"] = _metaGap.ToJson(),
                ["metaToOwnDocumentNegative"] = _ownDocumentGap.ToJson(),
                ["negativeToSameDocument"] = _sameDocumentGap.ToJson(),
            },
            ["sources"] = _sources.ToJson(),
            ["exactT"] = _exact.ToJson(),
            ["checks"] = new JsonArray([.. checks.Select(c => (JsonNode)c.ToJson())]),
            ["warnings"] = checks.Count(c => c.Status == ReportCheck.Warn),
        };
    }
}
