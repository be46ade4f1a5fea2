using System.Text.Json;
using NExtLong.Output.Megatron;
using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Writes what sits next to a synthesized dataset: the dataset card (README.md) with statistics tallied from
/// the documents as they pass, LICENSES.tsv (from the inputs'), and the ProLong training recipe. It takes the
/// run's resolved configuration (config.json) for the method, parameters and sources.
/// </summary>
internal sealed class SynthesisCardWriter : IDatasetWriter
{

    private readonly string _datasetDir;
    private readonly DatasetOutputOptions _output;
    private readonly SpecialTokenPolicy _specials;
    private readonly string _configJson;
    private readonly IReadOnlyList<string> _inputFiles;
    private readonly SynthesisStats _stats = new();

    /// <param name="datasetDir">The dataset folder the card, licences and training recipe go into.</param>
    /// <param name="output">The formats written, which the card describes.</param>
    /// <param name="specials">The BOS/EOS the tokenized formats add, which the card records.</param>
    /// <param name="configJson">The run's config.json, for the parameters and sources.</param>
    /// <param name="inputFiles">Input files on this machine, where the sources' LICENSES.tsv is looked for; config.json records no machine paths.</param>
    /// <param name="resume">A <see cref="Checkpoint"/>'s state: the statistics of the documents before it.</param>
    public SynthesisCardWriter(string datasetDir, DatasetOutputOptions output, SpecialTokenPolicy specials, string configJson,
        IReadOnlyList<string> inputFiles, string? resume = null)
    {
        _datasetDir = datasetDir;
        _output = output;
        _specials = specials;
        _configJson = configJson;
        _inputFiles = inputFiles;
        if (resume is null)
            return;
        try
        {
            _stats = SynthesisStats.CheckpointJson.Deserialize<SynthesisStats>(resume) ?? throw new InvalidDataException("empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{datasetDir}: cannot resume the dataset card's statistics ({e.Message})", e);
        }
    }

    public void Write(string id, SynthesizedDocument document) => _stats.Add(document);

    /// <summary>Nothing is written before the end; the state is the statistics so far.</summary>
    public WriterCheckpoint Checkpoint() => new([], SynthesisStats.CheckpointJson.Serialize(_stats));

    public IReadOnlyList<string> Complete()
    {
        using var config = JsonDocument.Parse(_configJson);
        var root = config.RootElement;
        int targetTokens = root.GetProperty("target_tokens").GetInt32();
        string tokenizer = root.TryGetProperty("tokenizer", out var tk) ? tk.GetString() ?? "?" : "?";
        int sequenceTokens = _output.Tokenized ? _specials.SequenceLength(targetTokens) : targetTokens;
        var facts = DatasetFacts.FromConfig(root, null) with { Specials = _output.Tokenized ? _specials : null, SequenceTokens = sequenceTokens };
        var recipe = TrainingRecipe.For(sequenceTokens, facts);
        var inputs = root.TryGetProperty("inputs", out var i) ? i.EnumerateArray().ToList() : [];
        var formats = _output.Formats;

        string method = root.TryGetProperty("method", out var m) ? m.GetString() ?? "nextlong" : "nextlong";
        bool nextlong = method == "nextlong";
        string framing = _output.Tokenized
            ? $"\n\nIn the tokenized formats each document is one sequence of {DatasetCard.Number(sequenceTokens)} ids: "
              + Framing(_specials, targetTokens) + ", one document span (its pieces attend to each other)."
            : "";
        var card = new DatasetCard
        {
            Title = nextlong
                ? $"NExtLong synthetic long documents ({DatasetCard.Number(targetTokens)} tokens)"
                : $"Long documents by the {method} baseline ({DatasetCard.Number(targetTokens)} tokens)",
            Summary = $"{DatasetCard.Number(_stats.DocumentsWritten)} long documents of exactly {DatasetCard.Number(targetTokens)} `{tokenizer}` tokens, "
                + (nextlong
                    ? "synthesized from short documents with NExtLong, Negative Document Extension (Gao et al., *NExtLong: Toward "
                      + "Effective Long-Context Training without Long Documents*, ICML 2025), by nextlong."
                    : $"made from short documents by the `{method}` method, one of the baselines the NExtLong paper (Gao et al., "
                      + "ICML 2025) compares against in Table 1, by nextlong."),
            Method = (nextlong ? NExtLongMethod(root) : BaselineMethod(method))
                + " Every document is cut to exactly T tokens of the target tokenizer; documents that fall short are dropped."
                + framing,
            Samples = _stats.DocumentsWritten,
            DataFiles = formats.Contains(DatasetFormat.Parquet) ? "data/train-*.parquet"
                : formats.Contains(DatasetFormat.JsonlZst) ? "part-*.jsonl.zst" : null,
            Files = [.. formats.Select(f => Describe(f, sequenceTokens)),
                ("config.json", "the resolved configuration"), ("stats.json", "counts, drops and why, E, k, similarities"),
                (TrainingRecipe.FileName, "training recipe (ProLong)")],
            SourceColumns = ["source", "weight", "documents requested", "documents written", "files", "text field"],
            Sources = [.. inputs.Select(x => new[]
            {
                Text(x, "name"), Text(x, "weight"), Text(x, "quota"),
                DatasetCard.Number(_stats.DocumentsPerSource.GetValueOrDefault(Text(x, "name"))),
                x.TryGetProperty("content", out var f) ? DatasetCard.Number(f.GetArrayLength()) : "?",
                Text(x, "text_field"),
            })],
            Parameters = Parameters(root),
            Statistics = Statistics(targetTokens, sequenceTokens, nextlong),
            Training = recipe.CardSection(),
            Licenses = LicenseTable.ForInputs(_inputFiles),
        };
        var files = card.Write(_datasetDir).ToList();
        files.Add(recipe.Write(_datasetDir, ProLongMdsWriter.Folder));
        return files;
    }

    public void Dispose()
    {
    }

    private static string NExtLongMethod(JsonElement config)
    {
        string text = "Each short meta-document is split into meta-chunks; for every meta-chunk the k most similar chunks of "
            + "the corpus are retrieved from a vector index as hard negatives (never from the meta-document itself, never one "
            + "twice in a document), and the document is rebuilt as `[m1, n11..n1k, m2, n21..n2k, ...]`. A model trained on it "
            + "must find the meta-document's thread among distractors, which trains long-range dependency modelling without "
            + "long documents.";
        string selection = config.TryGetProperty("negative_selection", out var n) ? n.GetString() ?? "" : "";
        string placement = config.TryGetProperty("meta_chunk_placement", out var p) ? p.GetString() ?? "" : "";
        if (selection is not ("" or "topk") || placement is not ("" or "head"))
            text += $" This is an ablation of the paper's section 5.3: negatives `{selection}`, meta-chunk placement `{placement}`.";
        return text;
    }

    private static string BaselineMethod(string method) => method switch
    {
        "standard" => "Random short documents are concatenated after a sampled anchor document.",
        "knn" => "Each sampled anchor document is followed by its most similar documents (Guu et al., 2020).",
        "iclm" => "In-Context Pretraining (Shi et al., 2024): from each anchor, a greedy path through the document kNN graph, near-duplicates removed.",
        "quest" => "Quest (Gao et al., 2024): documents sharing a keyword with the anchor are concatenated.",
        _ => $"Short documents joined by the `{method}` method.",
    };

    private static string Framing(SpecialTokenPolicy specials, int targetTokens) =>
        (specials.Bos is int bos ? $"BOS {bos} + " : "") + $"{DatasetCard.Number(targetTokens)} text tokens" + (specials.Eos is int eos ? $" + EOS {eos}" : "");

    private static (string, string) Describe(DatasetFormat format, int sequenceTokens) => format switch
    {
        DatasetFormat.JsonlZst => ("part-*.jsonl.zst", "text and provenance, one JSON object per line (zstd)"),
        DatasetFormat.Mds => ("mds/", $"MDS for ProLong / mosaicml-streaming: `input_ids`, `indices`, `length` ({DatasetCard.Number(sequenceTokens)}), `domain`; one folder per source, merged `mds/index.json`"),
        DatasetFormat.MdsText => ("mds-text/", "MDS of `text`, `id`, `domain` and `provenance` (json); one folder per source"),
        DatasetFormat.Megatron => ($"{MegatronDatasetWriter.Folder}/{MegatronDatasetWriter.Prefix}.{{bin,idx}}", $"Megatron-LM / GPT-NeoX indexed dataset, one sequence per document: `--data-path {MegatronDatasetWriter.Folder}/{MegatronDatasetWriter.Prefix}`"),
        _ => ("data/train-*.parquet", "Parquet for Hugging Face datasets: text and provenance columns"),
    };

    // Every value of the configuration at any depth (output.mds.hashes, index.embedder, ...), which holds no
    // machine paths; the inputs (and the original inputs of a deduplicated corpus) have their own table.
    private static List<(string, string)> Parameters(JsonElement root)
    {
        var rows = new List<(string, string)>();
        void Add(string prefix, JsonElement e)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Object)
                    Add($"{prefix}{p.Name}.", p.Value);
                else if (p.Name != "inputs")
                    rows.Add((prefix + p.Name, Value(p.Value)));
            }
        }
        Add("", root);
        return rows;
    }

    private static string Value(JsonElement e) => e.ValueKind == JsonValueKind.Array
        ? string.Join(", ", e.EnumerateArray().Select(Value))
        : $"`{e.GetRawText()}`";

    private List<(string, string)> Statistics(int targetTokens, int sequenceTokens, bool nextlong)
    {
        var s = _stats;
        double docs = Math.Max(1, s.DocumentsWritten);
        var rows = new List<(string, string)>
        {
            ("documents", DatasetCard.Number(s.DocumentsWritten)),
            ("text tokens per document", DatasetCard.Number(targetTokens)),
            ("text tokens in all", DatasetCard.Number(s.TokensTotal)),
        };
        if (sequenceTokens != targetTokens)
            rows.Add(("ids per tokenized sequence", DatasetCard.Number(sequenceTokens)));
        if (nextlong)
        {
            rows.Add(("meta-chunks per document (mean)", DatasetCard.Number(Math.Round(s.MetaChunks / docs, 2))));
            rows.Add(("hard negatives k per meta-chunk (mean)", DatasetCard.Number(Math.Round(s.KSum / docs, 2))));
            rows.Add(("negatives in all", DatasetCard.Number(s.Negatives)));
            rows.Add(("meta-chunk share of tokens", s.TokensTotal == 0 ? "0" : ((double)s.TokensMeta / s.TokensTotal).ToString("P1", System.Globalization.CultureInfo.InvariantCulture)));
            rows.Add(("negative similarity (mean)", s.Negatives == 0 ? "-" : DatasetCard.Number(Math.Round(s.SimilaritySum / s.Negatives, 4))));
            foreach (var (reason, count) in s.FalseNegativesSkipped) rows.Add(($"false negatives skipped: {reason}", DatasetCard.Number(count)));
        }
        else
        {
            rows.Add(("documents joined after the anchor (mean)", DatasetCard.Number(Math.Round(s.KSum / docs, 2))));
            rows.Add(("similarity to the anchor (mean)", s.Negatives == 0 ? "-" : DatasetCard.Number(Math.Round(s.SimilaritySum / s.Negatives, 4))));
        }
        rows.Add(("near-duplicates skipped", DatasetCard.Number(s.NearDuplicatesSkipped)));
        foreach (var (source, count) in s.DocumentsPerSource.OrderBy(p => p.Key, StringComparer.Ordinal))
            rows.Add(($"documents from {source}", DatasetCard.Number(count)));
        return rows;
    }

    private static string Text(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) ? "?" : v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
}
