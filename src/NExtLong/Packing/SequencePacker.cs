using NExtLong.Output;
using NExtLong.Output.Mds;

namespace NExtLong.Packing;

/// <summary>
/// Packs tokenized documents (samples of MDS datasets with an <c>input_ids</c> column, such as the "mds" output
/// of synthesis) whole into longer training sequences, with <c>indices</c> spans so ProLong's document mask keeps
/// them apart — the paper packs its 64K documents eight to a 512K sequence this way. A document never straddles
/// two sequences; one longer than the pack length is dropped, as are sequences left shorter than the minimum.
/// Spans already in an input sample are kept, shifted. Inputs of different tokenizers or special tokens are
/// refused. Output: one MDS dataset in ProLong's columns, with config.json, a dataset card, LICENSES.tsv and
/// training recipe.
/// </summary>
public static class SequencePacker
{
    /// <summary>Packs the documents of <paramref name="inputs"/> into sequences of the pack length in the MDS dataset <paramref name="outDir"/>.</summary>
    /// <param name="inputs">MDS datasets with an <c>input_ids</c> column, read in the order given; at least one.</param>
    /// <param name="outDir">The output folder, claimed as a packed dataset (refused if it holds other data, unless --overwrite allows it).</param>
    /// <param name="options">Pack and minimum length, order, seed, domain, MDS writer settings and overwrite; validated before any file is written.</param>
    /// <param name="progress">(documents read, documents in all).</param>
    /// <param name="ct">Stops the pack; nothing left behind looks complete.</param>
    /// <exception cref="ArgumentException">No input, or an option out of range (<see cref="OptionValidationException"/>).</exception>
    /// <exception cref="InvalidDataException">
    /// The inputs differ in tokenizer or special tokens, or a sample's <c>input_ids</c> or <c>indices</c> is malformed or missing.
    /// </exception>
    public static PackResult Pack(IReadOnlyList<string> inputs, string outDir, PackOptions options,
        Action<long, long>? progress = null, CancellationToken ct = default)
    {
        if (inputs.Count == 0) throw new ArgumentException("pack needs at least one input dataset");
        options.Validate();
        int minLength = options.MinLength ?? options.PackLength;
        if (minLength < 1 || minLength > options.PackLength) throw new ArgumentException($"--min-length must be 1..{options.PackLength}");
        using var folder = MdsOutputFolder.Prepare(outDir, inputs, options.Overwrite, Pipeline.OutputKind.Packed);

        var datasets = new List<MdsDataset>();
        try
        {
            foreach (string input in inputs)
            {
                var d = MdsDataset.Open(input);
                datasets.Add(d);
                if (d.Columns.All(c => c.Name != "input_ids" || !c.Encoding.IsNDArray))
                    throw new InvalidDataException($"{input}: no ndarray column \"input_ids\" (columns: {string.Join(", ", d.Columns.Select(c => $"{c.Name} {c.Encoding}"))}); pack needs tokenized data such as synthesize --format mds");
            }
            // Documents of one tokenizer and special-token policy only; their lengths may differ (packing evens them out).
            var facts = inputs.Select(DatasetFacts.Of).ToList();
            DatasetFacts.RequireSame("pack", [.. inputs.Zip(facts)], compareLength: false);
            var order = Order(datasets, options);
            using var writer = new MdsWriter(outDir, ProLongLayout.Columns, options.Mds);
            var result = Pack(datasets, order, writer, options.PackLength, minLength, options.Domain, progress, ct);
            // Nothing to train on: no index.json and no card, so the folder never looks like a dataset.
            if (result.Sequences == 0) return result;
            writer.Complete();
            DerivedDatasetCards.WritePack(outDir, inputs, [.. datasets.Select(d => d.SampleCount)], options, result,
                facts[0] with { SequenceTokens = options.PackLength });
            return result;
        }
        finally
        {
            foreach (var d in datasets) d.Dispose();
        }
    }

    private static List<(int Input, long Index)> Order(List<MdsDataset> datasets, PackOptions options)
    {
        var order = new List<(ulong Key, int Input, long Index)>();
        for (int i = 0; i < datasets.Count; i++)
            for (long j = 0; j < datasets[i].SampleCount; j++)
                order.Add((options.Shuffle ? SeededKey.Of(options.Seed, i, j) : 0, i, j));
        if (options.Shuffle)
            order.Sort();
        return [.. order.Select(o => (o.Input, o.Index))];
    }

    private static PackResult Pack(List<MdsDataset> datasets, List<(int Input, long Index)> order, MdsWriter writer,
        int packLength, int minLength, string? fixedDomain, Action<long, long>? progress, CancellationToken ct)
    {
        var sequence = new int[packLength];
        var spans = new List<TokenRange>();
        int used = 0;
        string? domain = null;
        long sequences = 0, documents = 0, tokens = 0, tooLong = 0, shortSequences = 0, droppedDocs = 0, droppedTokens = 0;
        int longest = 0, shortest = int.MaxValue, inSequence = 0;

        void Emit()
        {
            if (used == 0) return;
            if (used >= minLength)
            {
                ProLongLayout.Write(writer, sequence.AsSpan(0, used), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(spans), fixedDomain ?? domain ?? "");
                sequences++;
                documents += inSequence;
                tokens += used;
            }
            else
            {
                shortSequences++;
                droppedDocs += inSequence;
                droppedTokens += used;
            }
            used = 0;
            inSequence = 0;
            spans.Clear();
            domain = null;
        }

        long read = 0;
        foreach (var (input, index) in order)
        {
            ct.ThrowIfCancellationRequested();
            var sample = datasets[input].Read(index);
            var ids = sample.GetNdArray(sample.Column("input_ids"));
            if (ids.Shape.Length != 1)
                throw new InvalidDataException($"{sample.Location}: input_ids has shape [{string.Join(", ", ids.Shape)}], not one dimension");
            int length = (int)ids.Count;
            longest = Math.Max(longest, length);
            shortest = Math.Min(shortest, length);
            if (length > packLength)
            {
                tooLong++;
                droppedTokens += length;
            }
            else if (length > 0)
            {
                if (used + length > packLength)
                    Emit();
                ids.CopyToInt32(sequence.AsSpan(used));
                AddSpans(sample, used, length, spans);
                if (domain is null && sample.Column("domain") is int d and >= 0)
                    domain = sample.GetString(d);
                used += length;
                inSequence++;
            }
            if (++read % 256 == 0) progress?.Invoke(read, order.Count);
        }
        Emit();
        progress?.Invoke(read, order.Count);
        return new PackResult(sequences, documents, tokens, tooLong, shortSequences, droppedDocs + tooLong, droppedTokens, longest, shortest == int.MaxValue ? 0 : shortest);
    }

    // The sample's own document spans (ProLong's indices), shifted to where it lands; one span when it has none.
    private static void AddSpans(MdsSample sample, int offset, int length, List<TokenRange> spans)
    {
        int column = sample.Column("indices");
        if (column < 0)
        {
            spans.Add(new TokenRange(offset, offset + length));
            return;
        }
        var indices = sample.GetNdArray(column);
        if (indices.Shape is not [_, 2])
            throw new InvalidDataException($"{sample.Location}: indices has shape [{string.Join(", ", indices.Shape)}], not [n, 2]");
        long at = 0;
        for (long row = 0; row < indices.Shape[0]; row++)
        {
            long start = indices.GetInt64(2 * row), end = indices.GetInt64(2 * row + 1);
            if (start != at || end <= start || end > length)
                throw new InvalidDataException($"{sample.Location}: indices row {row} [{start}, {end}) does not continue the spans at {at} within {length} ids");
            spans.Add(new TokenRange(offset + (int)start, offset + (int)end));
            at = end;
        }
        if (at != length)
            throw new InvalidDataException($"{sample.Location}: indices end at {at}, input_ids has {length} ids");
    }
}
