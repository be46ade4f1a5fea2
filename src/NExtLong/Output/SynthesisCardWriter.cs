using System.Text.Json;
using NExtLong.Output.Megatron;
using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Writes what sits next to a synthesized dataset: the dataset card (README.md) with statistics tallied from
/// the documents as they pass, LICENSES.tsv (from the inputs'), and the ProLong training recipe. It takes the
/// run's resolved configuration (config.json) for the parameters and sources.
/// </summary>
public sealed class SynthesisCardWriter(string datasetDir, DatasetOutputOptions output, SpecialTokenPolicy specials, string configJson) : IDatasetWriter
{
    private readonly SynthesisStats _stats = new();
    private int _textTokens;

    public void Write(string id, SynthesizedDocument document)
    {
        _stats.Add(document);
        _textTokens = Math.Max(_textTokens, document.TokenCount);
    }

    public IReadOnlyList<string> Complete()
    {
        using var config = JsonDocument.Parse(configJson);
        var root = config.RootElement;
        int targetTokens = root.TryGetProperty("target_tokens", out var t) ? t.GetInt32() : _textTokens;
        string tokenizer = root.TryGetProperty("tokenizer", out var tk) ? tk.GetString() ?? "?" : "?";
        int sequenceTokens = output.Tokenized ? specials.SequenceLength(targetTokens) : targetTokens;
        var inputs = root.TryGetProperty("inputs", out var i) ? i.EnumerateArray().ToList() : [];
        var formats = output.Formats;

        var card = new DatasetCard
        {
            Title = $"NExtLong synthetic long documents ({DatasetCard.Number(targetTokens)} tokens)",
            Summary = $"{DatasetCard.Number(_stats.DocumentsWritten)} long documents of exactly {DatasetCard.Number(targetTokens)} `{tokenizer}` tokens, "
                + "synthesized from short documents with NExtLong, Negative Document Extension (Gao et al., *NExtLong: Toward "
                + "Effective Long-Context Training without Long Documents*, ICML 2025), by nextlong.",
            Method = "Each short meta-document is split into meta-chunks; for every meta-chunk the k most similar chunks of the "
                + "corpus are retrieved from a vector index as hard negatives (never from the meta-document itself, never one "
                + "twice in a document). The document is rebuilt as `[m1, n11..n1k, m2, n21..n2k, ...]` and cut to exactly T "
                + "tokens of the target tokenizer; documents that fall short are dropped. A model trained on it must find the "
                + "meta-document's thread among distractors, which trains long-range dependency modelling without long documents."
                + (output.Tokenized
                    ? $"\n\nIn the tokenized formats each document is one sequence of {DatasetCard.Number(sequenceTokens)} ids: "
                      + Framing(specials, targetTokens) + ", one document span (its meta-chunks and negatives attend to each other)."
                    : ""),
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
                x.TryGetProperty("files", out var f) ? DatasetCard.Number(f.GetArrayLength()) : "?",
                Text(x, "text_field"),
            })],
            Parameters = Parameters(root),
            Statistics = Statistics(targetTokens, sequenceTokens),
            Licenses = LicenseTable.ForInputs(inputs.SelectMany(x => x.TryGetProperty("files", out var f) ? f.EnumerateArray().Take(1).Select(e => e.GetString()!) : [])),
        };
        var files = card.Write(datasetDir).ToList();
        files.Add(TrainingRecipe.Write(datasetDir, ProLongMdsWriter.Folder, sequenceTokens));
        return files;
    }

    public void Dispose()
    {
    }

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

    // Every scalar of the configuration, with index.* and output.*; no local paths.
    private static List<(string, string)> Parameters(JsonElement root)
    {
        var rows = new List<(string, string)>();
        foreach (var p in root.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Object)
            {
                foreach (var q in p.Value.EnumerateObject().Where(q => q.Name != "dir" && q.Value.ValueKind != JsonValueKind.Object))
                    rows.Add(($"{p.Name}.{q.Name}", Value(q.Value)));
            }
            else if (p.Value.ValueKind != JsonValueKind.Array)
            {
                rows.Add((p.Name, Value(p.Value)));
            }
        }
        return rows;
    }

    private static string Value(JsonElement e) => e.ValueKind == JsonValueKind.Array
        ? string.Join(", ", e.EnumerateArray().Select(Value))
        : $"`{e.GetRawText()}`";

    private List<(string, string)> Statistics(int targetTokens, int sequenceTokens)
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
        rows.Add(("meta-chunks per document (mean)", DatasetCard.Number(Math.Round(s.MetaChunks / docs, 2))));
        rows.Add(("hard negatives k per meta-chunk (mean)", DatasetCard.Number(Math.Round(s.KSum / docs, 2))));
        rows.Add(("negatives in all", DatasetCard.Number(s.Negatives)));
        rows.Add(("meta-chunk share of tokens", s.TokensTotal == 0 ? "0" : ((double)s.TokensMeta / s.TokensTotal).ToString("P1", System.Globalization.CultureInfo.InvariantCulture)));
        rows.Add(("negative similarity (mean)", s.Negatives == 0 ? "-" : DatasetCard.Number(Math.Round(s.SimilaritySum / s.Negatives, 4))));
        rows.Add(("near-duplicates skipped", DatasetCard.Number(s.NearDuplicatesSkipped)));
        foreach (var (source, count) in s.DocumentsPerSource.OrderBy(p => p.Key, StringComparer.Ordinal))
            rows.Add(($"documents from {source}", DatasetCard.Number(count)));
        return rows;
    }

    private static string Text(JsonElement e, string name) =>
        !e.TryGetProperty(name, out var v) ? "?" : v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
}
