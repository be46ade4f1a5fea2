using System.Globalization;
using NExtLong.Output;
using NExtLong.Output.Mds;
using NExtLong.Pipeline;

namespace NExtLong.Packing;

/// <summary>
/// What is written next to a packed or mixed dataset: config.json (the tokenizer, special tokens and sequence
/// length its samples share, as <see cref="DatasetFacts"/> reads them back, so a mix of packed datasets is
/// checked too; the parameters; and the inputs as given, with a checksum of each one's index.json), the dataset
/// card, LICENSES.tsv and the training recipe. None of them holds a path of this machine.
/// </summary>
internal static class DerivedDatasetCards
{
    private const string MdsFiles = "index.json, shard.*.mds";

    /// <summary>An input as the user gave it, or relative to the output folder when given as an absolute path.</summary>
    public static string PortablePath(string input, string outDir) => Path.IsPathRooted(input)
        ? Path.GetRelativePath(Path.GetFullPath(outDir), Path.GetFullPath(input)).Replace(Path.DirectorySeparatorChar, '/')
        : input;

    public static void WritePack(string outDir, IReadOnlyList<string> inputs, IReadOnlyList<long> inputSamples, PackOptions options, PackResult r, DatasetFacts facts)
    {
        int minLength = options.MinLength ?? options.PackLength;
        double capacity = Math.Max(1.0, (double)r.Sequences * options.PackLength);
        var recipe = TrainingRecipe.For(options.PackLength, facts);
        WriteConfig(outDir, "pack", facts, new Dictionary<string, object?>
        {
            ["pack_length"] = options.PackLength,
            ["min_length"] = minLength,
            ["shuffle"] = options.Shuffle,
            ["seed"] = options.Seed,
            ["domain"] = options.Domain,
        }, options.Mds, [.. inputs.Select((x, i) => Input(x, outDir, inputSamples[i]))]);
        new DatasetCard
        {
            Title = $"NExtLong data packed to {DatasetCard.Number(options.PackLength)} tokens",
            Summary = $"{DatasetCard.Number(r.Sequences)} training sequences of up to {DatasetCard.Number(options.PackLength)} {Ids(facts)}, each packing "
                + "whole documents of the input datasets, with `indices` giving every document's span so ProLong's document mask "
                + "keeps them apart. Made by `nextlong pack`.",
            Method = $"Documents were taken {(options.Shuffle ? $"in a random order (seed {options.Seed})" : "in input order")} and packed whole: a document "
                + "never straddles two sequences, so a NExtLong document keeps its meta-chunks and their hard negatives together, as "
                + "the paper packs its 64K documents eight to a 512K sequence with intra-document masking. A sequence is closed when "
                + $"the next document does not fit; sequences shorter than {DatasetCard.Number(minLength)} ids and documents longer than "
                + $"{DatasetCard.Number(options.PackLength)} are dropped. Spans already present in an input sample are kept.",
            Samples = r.Sequences,
            Files = [(MdsFiles, "MDS for ProLong / mosaicml-streaming: `input_ids`, `indices`, `length`, `domain`"), ConfigFile, (TrainingRecipe.FileName, "training recipe (ProLong)")],
            SourceColumns = ["input", "documents", "index.json xxh3"],
            Sources = [.. inputs.Select((x, i) => new[] { PortablePath(x, outDir), DatasetCard.Number(inputSamples[i]), IndexChecksum(x) })],
            Parameters = [.. Facts(facts), .. new (string, string)[]
            {
                ("pack_length", Code(options.PackLength)),
                ("min_length", Code(minLength)),
                ("shuffle", options.Shuffle ? "`true`" : "`false`"),
                ("seed", Code(options.Seed)),
                ("domain", options.Domain is null ? "first document's" : $"`{options.Domain}`"),
            }, .. Mds(options.Mds)],
            Statistics =
            [
                ("sequences", DatasetCard.Number(r.Sequences)),
                ("documents packed", DatasetCard.Number(r.Documents)),
                ("documents per sequence (mean)", DatasetCard.Number(Math.Round(r.Documents / Math.Max(1.0, r.Sequences), 2))),
                ("tokens", DatasetCard.Number(r.Tokens)),
                ("fill of the pack length", (r.Tokens / capacity).ToString("P2", CultureInfo.InvariantCulture)),
                ("input documents, longest", DatasetCard.Number(r.LongestDocument)),
                ("input documents, shortest", DatasetCard.Number(r.ShortestDocument)),
                ("documents dropped as longer than the pack length", DatasetCard.Number(r.DroppedLongDocuments)),
                ("sequences dropped as shorter than the minimum", DatasetCard.Number(r.DroppedShortSequences)),
                ("tokens dropped", DatasetCard.Number(r.DroppedTokens)),
            ],
            Training = recipe.CardSection(),
            Licenses = LicenseTable.ForInputs(inputs),
        }.Write(outDir);
        recipe.Write(outDir, "");
    }

    public static void WriteMix(string outDir, IReadOnlyList<MixInput> inputs, MixOptions options, MixResult r, bool tokenized, DatasetFacts facts)
    {
        string ratio = string.Join(" : ", inputs.Select(i => DatasetCard.Number(i.Ratio)));
        var recipe = tokenized ? TrainingRecipe.For(facts.SequenceTokens ?? r.LongestSequence, facts) : null;
        WriteConfig(outDir, "mix", facts, new Dictionary<string, object?>
        {
            ["num_samples"] = options.NumSamples,
            ["seed"] = options.Seed,
        }, options.Mds, [.. inputs.Select((x, i) => Input(x.Path, outDir, r.Available[i], x.Ratio, r.Taken[i]))]);
        new DatasetCard
        {
            Title = $"NExtLong data mixture ({ratio})",
            Summary = $"{DatasetCard.Number(r.Samples)} samples mixed from {inputs.Count} datasets in the ratio {ratio} (by samples). Made by `nextlong mix`.",
            Method = "Each input gives its share of the samples (largest remainder): a random subset, or all of its samples and a "
                + $"random subset again when its share exceeds what it has. All chosen samples are written in one random order "
                + $"(seed {options.Seed}), copied unchanged. The paper's 512K stage mixes NExtLong-512K and NExtLong-64K packed to "
                + "512K in the ratio 1 : 2.",
            Samples = r.Samples,
            Files = recipe is not null
                ? [(MdsFiles, "MDS for ProLong / mosaicml-streaming, the inputs' columns"), ConfigFile, (TrainingRecipe.FileName, "training recipe (ProLong)")]
                : [(MdsFiles, "MDS (mosaicml-streaming), the inputs' columns"), ConfigFile],
            SourceColumns = ["input", "ratio", "samples available", "samples taken", "of them repeats", "index.json xxh3"],
            Sources = [.. inputs.Select((x, i) => new[] { PortablePath(x.Path, outDir), DatasetCard.Number(x.Ratio), DatasetCard.Number(r.Available[i]), DatasetCard.Number(r.Taken[i]), DatasetCard.Number(r.Repeated[i]), IndexChecksum(x.Path) })],
            Parameters = [.. Facts(facts), .. new (string, string)[]
            {
                ("num_samples", options.NumSamples is long n ? Code(n) : "as many as the inputs give without repeats"),
                ("seed", Code(options.Seed)),
            }, .. Mds(options.Mds)],
            Statistics = [("samples", DatasetCard.Number(r.Samples)), .. tokenized ? [("longest sequence", DatasetCard.Number(r.LongestSequence))] : Array.Empty<(string, string)>()],
            Training = recipe?.CardSection(),
            Licenses = LicenseTable.ForInputs(inputs.Select(i => i.Path)),
        }.Write(outDir);
        if (recipe is not null)
            recipe.Write(outDir, "");
        else
            File.Delete(Path.Combine(outDir, TrainingRecipe.FileName));
    }

    private static (string, string) ConfigFile => (SynthesisStage.ConfigFile, "tokenizer, special tokens, sequence length, parameters and inputs (machine-readable)");

    private static void WriteConfig(string outDir, string command, DatasetFacts facts, Dictionary<string, object?> parameters, MdsWriterOptions mds,
        List<Dictionary<string, object?>> inputs)
    {
        var config = new Dictionary<string, object?> { ["config_version"] = 1, ["made_by"] = $"nextlong {command}" };
        var output = new Dictionary<string, object?> { ["formats"] = new[] { ProLongMdsWriter.Folder } };
        facts.AddTo(config, output);
        foreach (var (key, value) in parameters) config[key] = value;
        output["mds"] = new Dictionary<string, object?> { ["size_limit"] = mds.SizeLimit, ["compression"] = mds.Compression, ["hashes"] = mds.Hashes };
        config["output"] = output;
        config["inputs"] = inputs;
        AtomicFile.WriteAllText(Path.Combine(outDir, SynthesisStage.ConfigFile), JsonContracts.Indented.Serialize(config));
    }

    // An input as given (never a machine path) and what its index.json held, so another dataset of that name is told apart.
    private static Dictionary<string, object?> Input(string path, string outDir, long samples, double? ratio = null, long? taken = null)
    {
        var input = new Dictionary<string, object?> { ["path"] = PortablePath(path, outDir), ["index_xxh3"] = IndexChecksum(path), ["samples"] = samples };
        if (ratio is not null) input["ratio"] = ratio;
        if (taken is not null) input["taken"] = taken;
        return input;
    }

    private static string IndexChecksum(string mdsDir) => FileChecksum.ContentOf(Path.Combine(mdsDir, MdsIndex.FileName));

    private static string Ids(DatasetFacts facts) => facts.Tokenizer is null ? "token ids" : $"`{facts.Tokenizer}` token ids";

    private static IEnumerable<(string, string)> Facts(DatasetFacts facts) =>
    [
        ("tokenizer", facts.Tokenizer is null ? "unknown (the inputs record none)" : $"`{facts.Tokenizer}`"),
        ("special tokens per document", DatasetFacts.Describe(facts.Specials)),
        ("sequence_tokens", facts.SequenceTokens is int n ? Code(n) : "unknown"),
    ];

    private static IEnumerable<(string, string)> Mds(MdsWriterOptions o) =>
    [
        ("mds.size_limit", Code(o.SizeLimit)),
        ("mds.compression", o.Compression is null ? "none" : $"`{o.Compression}`"),
        ("mds.hashes", o.Hashes.Count == 0 ? "none" : string.Join(", ", o.Hashes.Select(h => $"`{h}`"))),
    ];

    private static string Code(IFormattable value) => $"`{value.ToString(null, CultureInfo.InvariantCulture)}`";
}
