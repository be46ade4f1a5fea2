using System.Buffers;
using Parquet;
using Parquet.Schema;

namespace NExtLong.Corpus;

/// <summary>
/// Reads Parquet files row group by row group, decoding only the text and id columns. The Parquet library decompresses
/// snappy, gzip and zstd pages itself. Row numbers are 0-based over the whole file, as in pyarrow.
/// </summary>
internal static class ParquetFileReader
{
    /// <summary>
    /// Streams the documents of the context's file, open in <paramref name="file"/>; with <paramref name="rawRows"/>
    /// each record also carries its row, every column, as one JSON object.
    /// </summary>
    public static IEnumerable<CorpusRecord> Read(CorpusFileReadContext context, FileStream file, bool rawRows, CancellationToken ct)
    {
        ParquetReader reader;
        try
        {
            reader = RunSync(() => ParquetReader.CreateAsync(file, leaveStreamOpen: true, cancellationToken: ct));
        }
        catch (Exception unreadable) when (unreadable is not OperationCanceledException)
        {
            // The footer, which says where everything is, comes last: without it no row can be found.
            context.Reject(CorpusSkipReason.TruncatedTail, context.Path, "footer",
                $"not a Parquet file, or truncated: its footer cannot be read, so no row can be ({unreadable.Message})",
                cause: unreadable);
            yield break;
        }

        DataField? textField = FindField(reader.Schema, context.Source.TextField);
        if (textField is null || !ParquetColumnCursor.CanRead(textField, integersToo: false))
        {
            long rows = reader.RowGroups.Sum(g => g.RowCount);
            context.Reject(CorpusSkipReason.MissingText, context.Path, "schema", textField is null
                ? $"no column \"{context.Source.TextField}\" (columns: {string.Join(", ", reader.Schema.DataFields.Select(f => f.Path.ToString()))}); all {rows} rows lack a text"
                : $"column \"{context.Source.TextField}\" is {textField.ClrType.Name}{(textField.MaxRepetitionLevel > 0 ? "[]" : "")}, not a string; all {rows} rows lack a text",
                rows);
            yield break;
        }
        // An id column of another type (or none) leaves ids to "file#row", as for records without an id.
        DataField? idField = FindField(reader.Schema, context.Source.IdField);
        if (idField is not null && !ParquetColumnCursor.CanRead(idField, integersToo: true))
            idField = null;

        // Whole rows are assembled from every column, one row group at a time.
        var rowJson = new ArrayBufferWriter<byte>();
        List<Dictionary<string, object?>> groupRows = [];
        using var texts = new ParquetColumnCursor(textField);
        using ParquetColumnCursor? ids = idField is null ? null : new ParquetColumnCursor(idField);
        long firstRow = 0;
        for (int group = 0; group < reader.RowGroupCount; group++)
        {
            ParquetRowGroupReader rowGroup = reader.OpenRowGroupReader(group);
            long rows = rowGroup.RowCount;
            Exception? undecodable = null;
            try
            {
                RunSync(async () =>
                {
                    await texts.LoadAsync(rowGroup, ct);
                    if (ids is not null)
                        await ids.LoadAsync(rowGroup, ct);
                    if (rawRows)
                        groupRows = await ParquetRowAssembler.ReadAsync(reader, group, ct);
                    return true;
                });
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                undecodable = e;
            }
            if (undecodable is not null)
            {
                // The footer locates every row group, so the next one can still be read.
                context.Reject(CorpusSkipReason.Malformed, $"{context.Path} row group {group}",
                    $"row group {group} (rows {firstRow}-{firstRow + rows - 1})",
                    $"the row group cannot be decoded ({undecodable.Message})", rows, undecodable);
                firstRow += rows;
                continue;
            }

            for (long i = 0; i < rows; i++)
            {
                ct.ThrowIfCancellationRequested();
                long row = firstRow + i;
                bool hasText = texts.MoveNext();
                string? id = ids is not null && ids.MoveNext() ? ids.Text() : null;
                string location = CorpusReader.LocationOf(context.Path, row, rows: true);
                if (!hasText)
                {
                    context.Reject(CorpusSkipReason.MissingText, location, CorpusFileReadContext.Where(row, group),
                        $"\"{context.Source.TextField}\" is null");
                    continue;
                }
                if (context.Accept(texts.Text(), id ?? $"{context.RelativePath}#{row}", location, row, group) is { } document)
                {
                    rowJson.ResetWrittenCount();
                    if (rawRows) ParquetRowJson.Write(groupRows[(int)i], rowJson);
                    yield return new CorpusRecord(document, row, rowJson.WrittenMemory);
                }
            }
            firstRow += rows;
        }
    }

    /// <summary>The leaf column at a dotted path ("metadata.id" reaches into the struct "metadata"), if any.</summary>
    private static DataField? FindField(ParquetSchema schema, string dottedPath)
    {
        var path = new FieldPath(dottedPath.Split('.'));
        return schema.DataFields.FirstOrDefault(field => field.Path.Equals(path));
    }

    // The Parquet library is async-only and does not use ConfigureAwait(false); running it on the thread pool keeps a
    // caller's synchronization context (a UI or test runner) from deadlocking this synchronous enumeration.
    private static T RunSync<T>(Func<Task<T>> work) => Task.Run(work).GetAwaiter().GetResult();
}
