using NExtLong.Corpus;
using NExtLong.Output;
using NExtLong.Output.Mds;

namespace NExtLong.Packing;

/// <summary>
/// Mixes MDS datasets with the same columns by ratio into one, as the paper's 512K stage mixes NExtLong-512K and
/// NExtLong-64K (packed to 512K) 1 : 2. Ratios count samples. Each input gives its share (largest remainder) —
/// a seeded random subset, or every sample plus a seeded subset again when its share exceeds what it has — and
/// all chosen samples are written in one seeded random order, copied byte for byte. Inputs of different
/// tokenizers, special tokens or sequence lengths are refused. config.json, a dataset card, LICENSES.tsv and
/// (for tokenized data) a training recipe go beside it.
/// </summary>
public static class DatasetMixer
{
    /// <summary>Mixes <paramref name="inputs"/> by their ratios into the MDS dataset <paramref name="outDir"/>.</summary>
    /// <param name="inputs">The MDS datasets and their ratios (in samples); at least one.</param>
    /// <param name="outDir">The output folder, claimed as a mixed dataset (refused if it holds other data, unless --overwrite allows it).</param>
    /// <param name="options">Sample count, seed, MDS writer settings and overwrite; validated before any file is written.</param>
    /// <param name="progress">(samples written, samples in all).</param>
    /// <param name="ct">Stops the mix; nothing left behind looks complete.</param>
    /// <exception cref="ArgumentException">No input, an option out of range (<see cref="OptionValidationException"/>), or a mixture of no samples.</exception>
    /// <exception cref="InvalidDataException">
    /// An input holds no samples, or the inputs differ in tokenizer, special tokens, sequence length or columns.
    /// </exception>
    public static MixResult Mix(IReadOnlyList<MixInput> inputs, string outDir, MixOptions options,
        Action<long, long>? progress = null, CancellationToken ct = default)
    {
        if (inputs.Count == 0) throw new ArgumentException("mix needs at least one input dataset");
        options.Validate();
        using var folder = MdsOutputFolder.Prepare(outDir, inputs.Select(i => i.Path), options.Overwrite, Pipeline.OutputKind.Mixed);
        var datasets = new List<MdsDataset>();
        try
        {
            foreach (var input in inputs)
            {
                var d = MdsDataset.Open(input.Path);
                datasets.Add(d);
                if (d.SampleCount == 0)
                    throw new InvalidDataException($"{input.Path}: holds no samples");
                if (!d.Columns.SequenceEqual(datasets[0].Columns))
                    throw new InvalidDataException($"{input.Path}: its columns ({Describe(d)}) differ from {inputs[0].Path}'s ({Describe(datasets[0])}); mixed datasets need the same columns");
            }
            // One tokenizer, special-token policy and sequence length: a model trains on all of it the same way.
            var facts = inputs.Select(i => DatasetFacts.Of(i.Path)).ToList();
            DatasetFacts.RequireSame("mix", [.. inputs.Select(i => i.Path).Zip(facts)], compareLength: true);
            var available = datasets.Select(d => d.SampleCount).ToList();
            var weights = inputs.Select(i => i.Ratio).ToList();
            long total = options.NumSamples ?? LargestWithoutRepeats(weights, available);
            if (total < 1) throw new ArgumentException("the mixture would hold no samples");
            long[] taken = CorpusMixture.Apportion(weights, total);
            var chosen = new List<(ulong Key, int Input, long Index)>();
            var repeated = new long[inputs.Count];
            for (int i = 0; i < inputs.Count; i++)
            {
                long passes = taken[i] / available[i], rest = taken[i] % available[i];
                repeated[i] = Math.Max(0, taken[i] - available[i]);
                for (int pass = 0; pass < passes; pass++)
                    for (long j = 0; j < available[i]; j++)
                        chosen.Add((SeededKey.Of(options.Seed, i, j, pass + 1), i, j));
                // The rest: the samples with the smallest keys, a seeded subset without repeats.
                var subset = new List<(ulong Key, long Index)>();
                for (long j = 0; j < available[i]; j++) subset.Add((SeededKey.Of(options.Seed, i, j), j));
                subset.Sort();
                chosen.AddRange(subset.Take((int)rest).Select(s => (SeededKey.Of(options.Seed, i, s.Index, (int)passes + 1), i, s.Index)));
            }
            chosen.Sort();

            long written = 0, longest = 0;
            using var writer = new MdsWriter(outDir, datasets[0].Columns, options.Mds);
            foreach (var (_, input, index) in chosen)
            {
                ct.ThrowIfCancellationRequested();
                var sample = datasets[input].Read(index);
                writer.WriteRaw(sample.Raw);
                if (sample.Column("input_ids") is int ids and >= 0 && sample.Columns[ids].Encoding.IsNDArray)
                    longest = Math.Max(longest, sample.GetNdArray(ids).Count);
                if (++written % 256 == 0) progress?.Invoke(written, chosen.Count);
            }
            writer.Complete();
            progress?.Invoke(written, chosen.Count);
            var result = new MixResult(available, taken, repeated, written, longest);
            DerivedDatasetCards.WriteMix(outDir, inputs, options, result, tokenized: longest > 0, facts[0]);
            return result;
        }
        finally
        {
            foreach (var d in datasets) d.Dispose();
        }
    }

    /// <summary>The largest mixture whose shares fit every input without repeating a sample.</summary>
    public static long LargestWithoutRepeats(IReadOnlyList<double> weights, IReadOnlyList<long> available)
    {
        double sum = weights.Sum();
        long total = (long)Math.Floor(Enumerable.Range(0, weights.Count).Min(i => available[i] * sum / weights[i]));
        while (total > 0 && CorpusMixture.Apportion(weights, total).Where((share, i) => share > available[i]).Any())
            total--;
        return total;
    }

    private static string Describe(MdsDataset d) => string.Join(", ", d.Columns.Select(c => $"{c.Name} {c.Encoding}"));
}
