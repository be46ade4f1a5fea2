using NExtLong.Corpus;
using NExtLong.Output.Parquet;
using Parquet;
using Parquet.Schema;

namespace NExtLong.Inspection;

/// <summary>
/// Verifies Parquet files by decoding every page of every column of every row group (the writer, Parquet.Net,
/// stores no page CRCs, so decoding is the check: a damaged page fails to decompress or decode, or decodes to
/// values that fail the record checks). Rows of nextlong's layout also pass <see cref="TextRecords"/> and match
/// the <see cref="ParquetRowChecksum"/> its footer records for them (a damaged snappy literal decodes without an
/// error). One row group is held at a time.
/// </summary>
internal static class ParquetVerifier
{
    private static readonly string[] Layout = ["id", "text", "num_tokens", "meta_document", "k", "attempts", "near_duplicates_skipped", "false_negatives_skipped", "spans"];

    public static FormatCount Verify(string path, DatasetExpectations expect, bool quick)
    {
        var files = DatasetLocator.Files(path, "*.parquet");
        ParquetSchema? schema = null;
        bool ours = false;
        long rows = 0, tokens = 0;
        foreach (string file in files)
        {
            using var stream = File.OpenRead(file);
            var reader = Sync(() => ParquetReader.CreateAsync(stream, leaveStreamOpen: true), file, rows);
            schema ??= reader.Schema;
            if (!reader.Schema.Equals(schema))
                throw new InvalidDataException($"{file}: its schema differs from {files[0]}'s");
            ours = schema.Fields.Select(f => f.Name).SequenceEqual(Layout);
            if (expect.TextTokens is not null && !ours)
                throw new InvalidDataException($"{file}: not nextlong's layout (columns {string.Join(", ", Layout)})");
            var (checksums, cosine) = ours ? RowChecksums(reader, file) : (null, true);
            long fileFirst = rows;
            var checksum = new ParquetRowChecksum();
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                long first = rows;
                rows += reader.RowGroups[g].RowCount;
                if (quick)
                    continue;
                if (ours)
                {
                    int group = g;
                    var data = Sync(() => ParquetDocumentLayout.ReadAsync(reader, group, CancellationToken.None), file, first);
                    if (data.Count != reader.RowGroups[g].RowCount)
                        throw new InvalidDataException($"{file}: row group {g} decodes to {data.Count} rows, its footer says {reader.RowGroups[g].RowCount}");
                    Statistics(reader, g, "text", data.Select(d => d.Text), file, first);
                    Statistics(reader, g, "id", data.Select(d => d.Id), file, first);
                    for (int r = 0; r < data.Count; r++)
                    {
                        if (TextRecords.Check(data[r], expect) is { } wrong)
                            throw new InvalidDataException($"{file}: sample {first + r} (row group {g}, row {r}): {wrong}");
                        if (checksums is not null && checksum.Of(data[r], cosine) != checksums[first - fileFirst + r])
                            throw new InvalidDataException($"{file}: sample {first + r} (row group {g}, row {r}): its fields do not match the checksum the footer records for the row ({(cosine ? ParquetRowChecksum.MetadataKey : ParquetRowChecksum.WithoutCosineMetadataKey)})");
                        tokens += data[r].NumTokens;
                    }
                }
                else
                {
                    // Assembling the rows decodes every column and checks that their levels agree.
                    int group = g;
                    Sync(() => ParquetRowAssembler.ReadAsync(reader, group, CancellationToken.None), file, first);
                }
            }
        }
        return new FormatCount("parquet", path, rows, quick || !ours ? null : tokens, Ids: false);
    }

    // Parquet.Net's footer copies a string column's min and max values whole (for long texts, much of the file);
    // each copy must be one of the row group's values, else the footer was damaged. The order it ranks strings in
    // is its own, so only membership is checked.
    private static void Statistics(ParquetReader reader, int group, string column, IEnumerable<string> values, string file, long first)
    {
        var chunk = reader.Metadata?.RowGroups[group].Columns.FirstOrDefault(c => c.MetaData?.PathInSchema is [var name] && name == column);
        if (chunk?.MetaData?.Statistics is not { } stats)
            return;
        var set = new HashSet<string>(values, StringComparer.Ordinal);
        foreach (var (field, bytes) in new[] { ("min", stats.Min), ("max", stats.Max), ("min_value", stats.MinValue), ("max_value", stats.MaxValue) })
        {
            if (bytes is not null && !set.Contains(System.Text.Encoding.UTF8.GetString(bytes)))
                throw new InvalidDataException($"{file}: sample {first} and after (row group {group}): the footer's {field} statistic of column {column} is none of its values (the footer is damaged)");
        }
    }

    // The row checksums nextlong's writer records in the footer, one a row, and whether they cover each span's cosine
    // (earlier versions' did not); none in files written before it recorded any.
    private static (string[]? Checksums, bool Cosine) RowChecksums(ParquetReader reader, string file)
    {
        var metadata = reader.CustomMetadata;
        if (metadata is null)
            return (null, true);
        bool cosine = metadata.ContainsKey(ParquetRowChecksum.MetadataKey);
        string key = cosine ? ParquetRowChecksum.MetadataKey : ParquetRowChecksum.WithoutCosineMetadataKey;
        if (!metadata.TryGetValue(key, out string? value))
            return (null, true);
        string[] checksums = value.Length == 0 ? [] : value.Split(',');
        long rows = reader.RowGroups.Sum(g => g.RowCount);
        if (checksums.Length != rows)
            throw new InvalidDataException($"{file}: its footer records {checksums.Length:N0} row checksums ({key}) for {rows:N0} rows");
        return (checksums, cosine);
    }

    // Parquet.Net is async only; run it off any synchronization context, and name the file and the row group's first sample in its errors.
    private static T Sync<T>(Func<Task<T>> work, string file, long firstRow)
    {
        try
        {
            return Task.Run(work).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not (FileNotFoundException or UnauthorizedAccessException or OperationCanceledException))
        {
            throw new InvalidDataException($"{file}: sample {firstRow} and after: cannot be decoded ({e.Message})", e);
        }
    }
}
