using System.Globalization;
using NExtLong.Output;
using NExtLong.Output.Mds;

namespace NExtLong.Packing;

/// <summary>The dataset card, LICENSES.tsv and training recipe written next to a packed or mixed dataset.</summary>
public static class DerivedDatasetCards
{
    private const string MdsFiles = "index.json, shard.*.mds";

    public static void WritePack(string outDir, IReadOnlyList<string> inputs, IReadOnlyList<long> inputSamples, PackOptions options, PackResult r)
    {
        int minLength = options.MinLength ?? options.PackLength;
        double capacity = Math.Max(1.0, (double)r.Sequences * options.PackLength);
        new DatasetCard
        {
            Title = $"NExtLong data packed to {DatasetCard.Number(options.PackLength)} tokens",
            Summary = $"{DatasetCard.Number(r.Sequences)} training sequences of up to {DatasetCard.Number(options.PackLength)} token ids, each packing "
                + "whole documents of the input datasets, with `indices` giving every document's span so ProLong's document mask "
                + "keeps them apart. Made by `nextlong pack`.",
            Method = $"Documents were taken {(options.Shuffle ? $"in a random order (seed {options.Seed})" : "in input order")} and packed whole: a document "
                + "never straddles two sequences, so a NExtLong document keeps its meta-chunks and their hard negatives together, as "
                + "the paper packs its 64K documents eight to a 512K sequence with intra-document masking. A sequence is closed when "
                + $"the next document does not fit; sequences shorter than {DatasetCard.Number(minLength)} ids and documents longer than "
                + $"{DatasetCard.Number(options.PackLength)} are dropped. Spans already present in an input sample are kept.",
            Samples = r.Sequences,
            Files = [(MdsFiles, "MDS for ProLong / mosaicml-streaming: `input_ids`, `indices`, `length`, `domain`"), (TrainingRecipe.FileName, "training recipe (ProLong)")],
            SourceColumns = ["input", "documents"],
            Sources = [.. inputs.Select((x, i) => new[] { x, DatasetCard.Number(inputSamples[i]) })],
            Parameters = [.. new (string, string)[]
            {
                ("pack_length", Code(options.PackLength)),
                ("min_length", Code(minLength)),
                ("shuffle", options.Shuffle ? "`true`" : "`false`"),
                ("seed", Code(options.Seed)),
                ("domain", options.Domain is null ? "first document's" : $"`{options.Domain}`"),
            }.Concat(Mds(options.Mds))],
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
            Licenses = LicenseTable.ForInputs(inputs),
        }.Write(outDir);
        TrainingRecipe.Write(outDir, "", options.PackLength);
    }

    public static void WriteMix(string outDir, IReadOnlyList<MixInput> inputs, MixOptions options, MixResult r, bool tokenized)
    {
        string ratio = string.Join(" : ", inputs.Select(i => DatasetCard.Number(i.Ratio)));
        new DatasetCard
        {
            Title = $"NExtLong data mixture ({ratio})",
            Summary = $"{DatasetCard.Number(r.Samples)} samples mixed from {inputs.Count} datasets in the ratio {ratio} (by samples). Made by `nextlong mix`.",
            Method = "Each input gives its share of the samples (largest remainder): a random subset, or all of its samples and a "
                + $"random subset again when its share exceeds what it has. All chosen samples are written in one random order "
                + $"(seed {options.Seed}), copied unchanged. The paper's 512K stage mixes NExtLong-512K and NExtLong-64K packed to "
                + "512K in the ratio 1 : 2.",
            Samples = r.Samples,
            Files = tokenized
                ? [(MdsFiles, "MDS for ProLong / mosaicml-streaming, the inputs' columns"), (TrainingRecipe.FileName, "training recipe (ProLong)")]
                : [(MdsFiles, "MDS (mosaicml-streaming), the inputs' columns")],
            SourceColumns = ["input", "ratio", "samples available", "samples taken", "of them repeats"],
            Sources = [.. inputs.Select((x, i) => new[] { x.Path, DatasetCard.Number(x.Ratio), DatasetCard.Number(r.Available[i]), DatasetCard.Number(r.Taken[i]), DatasetCard.Number(r.Repeated[i]) })],
            Parameters = [.. new (string, string)[]
            {
                ("num_samples", options.NumSamples is long n ? Code(n) : "as many as the inputs give without repeats"),
                ("seed", Code(options.Seed)),
            }.Concat(Mds(options.Mds))],
            Statistics = [("samples", DatasetCard.Number(r.Samples)), .. tokenized ? [("longest sequence", DatasetCard.Number(r.LongestSequence))] : Array.Empty<(string, string)>()],
            Licenses = LicenseTable.ForInputs(inputs.Select(i => i.Path)),
        }.Write(outDir);
        if (tokenized)
            TrainingRecipe.Write(outDir, "", r.LongestSequence);
        else
            File.Delete(Path.Combine(outDir, TrainingRecipe.FileName));
    }

    private static IEnumerable<(string, string)> Mds(MdsWriterOptions o) =>
    [
        ("mds.size_limit", Code(o.SizeLimit)),
        ("mds.compression", o.Compression is null ? "none" : $"`{o.Compression}`"),
        ("mds.hashes", o.Hashes.Count == 0 ? "none" : string.Join(", ", o.Hashes.Select(h => $"`{h}`"))),
    ];

    private static string Code(IFormattable value) => $"`{value.ToString(null, CultureInfo.InvariantCulture)}`";
}
