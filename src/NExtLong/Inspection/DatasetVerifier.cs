using NExtLong.Tokenization;

namespace NExtLong.Inspection;

/// <summary>
/// `nextlong verify`: checks that a dataset reads back whole and as recorded — every hash, checksum, size and
/// offset its formats carry, every token id against the vocabulary of the tokenizer config.json names, every
/// length against T (plus the recorded BOS/EOS) or the lengths pack recorded, every document's spans, and that
/// the formats of a dataset folder and stats.json agree on the number of documents. It accepts whatever
/// `inspect` accepts, streams the data (one MDS shard, one Parquet row group, one block of ids at a time) and
/// stops at the first problem, which the result names: the file, the sample and what is wrong.
/// </summary>
public static class DatasetVerifier
{
    /// <summary>
    /// Verifies every dataset at <paramref name="path"/>; a problem found in the data is the result's
    /// <see cref="VerifyResult.Failure"/>, not an exception.
    /// </summary>
    /// <param name="path">What `verify` accepts: a dataset folder, an MDS folder or index.json, a Megatron prefix, Parquet or .jsonl.zst files.</param>
    /// <param name="options">A vocabulary or tokenizer to check ids against, and whether to check only what headers say.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="FileNotFoundException">Nothing at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">No dataset at <paramref name="path"/>.</exception>
    public static VerifyResult Verify(string path, VerifyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var found = DatasetLocator.FindOrThrow(path);
        var tokenizers = new Dictionary<string, TargetTokenizer?>(StringComparer.Ordinal);
        var counts = new List<FormatCount>();
        var expectations = new List<DatasetExpectations>();
        try
        {
            foreach (var (kind, target) in found)
            {
                var expect = DatasetExpectations.For(kind, target, options, tokenizers);
                var count = kind switch
                {
                    DatasetLocator.Mds => MdsVerifier.Verify(target, expect, options.Quick),
                    DatasetLocator.Megatron => MegatronVerifier.Verify(target, expect, options.Quick),
                    DatasetLocator.Parquet => ParquetVerifier.Verify(target, expect, options.Quick),
                    _ => JsonLinesVerifier.Verify(target, expect, options.Quick),
                };
                if (count.Counted && expect.Documents is long documents && count.Samples != documents)
                    throw new InvalidDataException($"{target}: {count.Samples:N0} samples, {expect.DocumentsSource} says {documents:N0}");
                counts.Add(count);
                expectations.Add(expect);
            }
            Agree(counts);
        }
        catch (InvalidDataException e)
        {
            return new VerifyResult { Path = path, Formats = [.. counts.Select(c => c.Format)], Failure = e.Message };
        }
        int ids = counts.FindIndex(c => c.Ids);
        var counted = counts.Where(c => c.Counted).ToList();
        // Ids when a format holds them, else text tokens; whichever format counted them (they agree).
        var tokens = counts.Where(c => c.Ids == (ids >= 0) && c.Tokens is not null).Select(c => c.Tokens).FirstOrDefault();
        return new VerifyResult
        {
            Path = path,
            Formats = [.. counts.Select(c => c.Format)],
            Samples = counted.Count > 0 ? counted[0].Samples : 0,
            Tokens = tokens,
            Vocabulary = ids >= 0 ? expectations[ids].Vocabulary : null,
        };
    }

    // The formats of one dataset hold the same documents: the same count, and the same tokens among the tokenized
    // formats and among the text formats.
    private static void Agree(List<FormatCount> counts)
    {
        var counted = counts.Where(c => c.Counted).ToList();
        foreach (var c in counted.Skip(1))
        {
            if (c.Samples != counted[0].Samples)
                throw new InvalidDataException($"{c.Path}: {c.Samples:N0} samples, but {counted[0].Path} holds {counted[0].Samples:N0}");
        }
        foreach (var group in counted.Where(c => c.Tokens is not null).GroupBy(c => c.Ids))
        {
            var first = group.First();
            foreach (var c in group.Skip(1))
            {
                if (c.Tokens != first.Tokens)
                    throw new InvalidDataException($"{c.Path}: {c.Tokens:N0} tokens, but {first.Path} holds {first.Tokens:N0}");
            }
        }
    }
}
