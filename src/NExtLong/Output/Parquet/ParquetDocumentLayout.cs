using System.Buffers;
using Parquet;
using Parquet.Schema;

namespace NExtLong.Output.Parquet;

/// <summary>
/// The schema of the "parquet" format and the columns of its rows, written and read through Parquet.Net's column API
/// with explicit definition and repetition levels (its class serializer compiles code at run time, which a native
/// build cannot). The schema is the one that serializer made of <see cref="ParquetDocumentRow"/>, and the same rows
/// give the same bytes: strings and structs optional, numbers required, <c>spans</c> a three-level list of optional
/// structs.
/// </summary>
internal static class ParquetDocumentLayout
{
    private static readonly DataField Id = new DataField<string>("id");
    private static readonly DataField Text = new DataField<string>("text");
    private static readonly DataField NumTokens = new DataField<int>("num_tokens");
    private static readonly DataField MetaId = new DataField<string>("id");
    private static readonly DataField MetaSource = new DataField<string>("source");
    private static readonly DataField MetaChars = new DataField<int>("chars");
    private static readonly DataField MetaChunks = new DataField<int>("meta_chunks");
    private static readonly DataField K = new DataField<int>("k");
    private static readonly DataField Attempts = new DataField<int>("attempts");
    private static readonly DataField NearDuplicatesSkipped = new DataField<int>("near_duplicates_skipped");
    private static readonly DataField NearDuplicateCosine = new DataField<int>("near_duplicate_cosine");
    private static readonly DataField ShingleContainment = new DataField<int>("shingle_containment");
    private static readonly DataField ShingleJaccard = new DataField<int>("shingle_jaccard");
    private static readonly DataField Role = new DataField<string>("role");
    private static readonly DataField MetaChunk = new DataField<int>("meta_chunk");
    private static readonly DataField ChunkId = new DataField<long>("chunk_id");
    private static readonly DataField Document = new DataField<string>("document");
    private static readonly DataField Source = new DataField<string>("source");
    private static readonly DataField Rank = new DataField<int>("rank");
    private static readonly DataField Similarity = new DataField<double?>("similarity");
    private static readonly DataField Cosine = new DataField<double?>("cosine");
    private static readonly DataField CharStart = new DataField<int>("char_start");
    private static readonly DataField CharEnd = new DataField<int>("char_end");
    private static readonly DataField TokenStart = new DataField<int>("token_start");
    private static readonly DataField TokenEnd = new DataField<int>("token_end");
    private static readonly DataField Truncated = new DataField<bool>("truncated");

    /// <summary>The top-level columns, in order; a file whose fields have these names is taken for nextlong's.</summary>
    public static readonly ParquetSchema Schema = new(
        Id, Text, NumTokens,
        new StructField("meta_document", MetaId, MetaSource, MetaChars, MetaChunks),
        K, Attempts, NearDuplicatesSkipped,
        new StructField("false_negatives_skipped", NearDuplicateCosine, ShingleContainment, ShingleJaccard),
        new ListField("spans", new StructField("element",
            Role, MetaChunk, ChunkId, Document, Source, Rank, Similarity, Cosine, CharStart, CharEnd, TokenStart, TokenEnd, Truncated)));

    /// <summary>Writes <paramref name="rows"/> as the columns of <paramref name="group"/>, in schema order.</summary>
    public static async Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<ParquetDocumentRow> rows, CancellationToken ct)
    {
        await Strings(group, Id, rows, r => r.Id, ct);
        await Strings(group, Text, rows, r => r.Text, ct);
        await Values(group, NumTokens, rows, r => r.NumTokens, ct);
        await Strings(group, MetaId, rows, r => r.MetaDocument.Id, ct);
        await Strings(group, MetaSource, rows, r => r.MetaDocument.Source, ct);
        await Values(group, MetaChars, rows, r => r.MetaDocument.Chars, ct);
        await Values(group, MetaChunks, rows, r => r.MetaDocument.MetaChunks, ct);
        await Values(group, K, rows, r => r.K, ct);
        await Values(group, Attempts, rows, r => r.Attempts, ct);
        await Values(group, NearDuplicatesSkipped, rows, r => r.NearDuplicatesSkipped, ct);
        await Values(group, NearDuplicateCosine, rows, r => r.FalseNegativesSkipped.NearDuplicateCosine, ct);
        await Values(group, ShingleContainment, rows, r => r.FalseNegativesSkipped.ShingleContainment, ct);
        await Values(group, ShingleJaccard, rows, r => r.FalseNegativesSkipped.ShingleJaccard, ct);

        var spans = new SpanLevels(rows);
        await SpanStrings(group, Role, spans, s => s.Role, ct);
        await SpanValues(group, MetaChunk, spans, s => s.MetaChunk, ct);
        await SpanValues(group, ChunkId, spans, s => s.ChunkId, ct);
        await SpanStrings(group, Document, spans, s => s.Document, ct);
        await SpanStrings(group, Source, spans, s => s.Source, ct);
        await SpanValues(group, Rank, spans, s => s.Rank, ct);
        await SpanNullables(group, Similarity, spans, s => s.Similarity, ct);
        await SpanNullables(group, Cosine, spans, s => s.Cosine, ct);
        await SpanValues(group, CharStart, spans, s => s.CharStart, ct);
        await SpanValues(group, CharEnd, spans, s => s.CharEnd, ct);
        await SpanValues(group, TokenStart, spans, s => s.TokenStart, ct);
        await SpanValues(group, TokenEnd, spans, s => s.TokenEnd, ct);
        await SpanValues(group, Truncated, spans, s => s.Truncated, ct);
        group.CompleteValidate();
    }

    /// <summary>
    /// Decodes every column of row group <paramref name="index"/> into rows, through the file's own fields (its schema
    /// has the layout's names); a column whose types or levels do not fit the layout is reported as damaged.
    /// </summary>
    public static async Task<List<ParquetDocumentRow>> ReadAsync(ParquetReader reader, int index, CancellationToken ct)
    {
        var group = reader.OpenRowGroupReader(index);
        int n = checked((int)group.RowCount);
        var rows = new List<ParquetDocumentRow>(n);
        for (int i = 0; i < n; i++) rows.Add(new ParquetDocumentRow());
        var fields = reader.Schema.GetDataFields();
        var column = new ColumnReader(group);
        int f = 0;
        await column.Top(fields[f++], rows, (r, v) => r.Id = v.AsString(), ct);
        await column.Top(fields[f++], rows, (r, v) => r.Text = v.AsString(), ct);
        await column.Top(fields[f++], rows, (r, v) => r.NumTokens = v.Int, ct);
        await column.Top(fields[f++], rows, (r, v) => r.MetaDocument.Id = v.AsString(), ct);
        await column.Top(fields[f++], rows, (r, v) => r.MetaDocument.Source = v.AsString(), ct);
        await column.Top(fields[f++], rows, (r, v) => r.MetaDocument.Chars = v.Int, ct);
        await column.Top(fields[f++], rows, (r, v) => r.MetaDocument.MetaChunks = v.Int, ct);
        await column.Top(fields[f++], rows, (r, v) => r.K = v.Int, ct);
        await column.Top(fields[f++], rows, (r, v) => r.Attempts = v.Int, ct);
        await column.Top(fields[f++], rows, (r, v) => r.NearDuplicatesSkipped = v.Int, ct);
        await column.Top(fields[f++], rows, (r, v) => r.FalseNegativesSkipped.NearDuplicateCosine = v.Int, ct);
        await column.Top(fields[f++], rows, (r, v) => r.FalseNegativesSkipped.ShingleContainment = v.Int, ct);
        await column.Top(fields[f++], rows, (r, v) => r.FalseNegativesSkipped.ShingleJaccard = v.Int, ct);
        // The first span column makes the spans; every other one must repeat its levels exactly.
        await column.Spans(fields[f++], rows, (s, v) => s.Role = v.AsString(), ct);
        await column.Spans(fields[f++], rows, (s, v) => s.MetaChunk = v.Int, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.ChunkId = v.Long, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.Document = v.AsString(), ct);
        await column.Spans(fields[f++], rows, (s, v) => s.Source = v.AsString(), ct);
        await column.Spans(fields[f++], rows, (s, v) => s.Rank = v.Int, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.Similarity = v.NullableDouble, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.Cosine = v.NullableDouble, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.CharStart = v.Int, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.CharEnd = v.Int, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.TokenStart = v.Int, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.TokenEnd = v.Int, ct);
        await column.Spans(fields[f++], rows, (s, v) => s.Truncated = v.Bool, ct);
        return rows;
    }

    // A top-level string column: optional, so a definition level per row (0 where null).
    private static async Task Strings(ParquetRowGroupWriter group, DataField field, IReadOnlyList<ParquetDocumentRow> rows, Func<ParquetDocumentRow, string?> get, CancellationToken ct)
    {
        int n = rows.Count;
        var values = ArrayPool<ReadOnlyMemory<char>>.Shared.Rent(n);
        var levels = ArrayPool<int>.Shared.Rent(n);
        try
        {
            int count = 0;
            for (int i = 0; i < n; i++)
            {
                string? s = get(rows[i]);
                levels[i] = s is null ? field.MaxDefinitionLevel - 1 : field.MaxDefinitionLevel;
                if (s is not null) values[count++] = s.AsMemory();
            }
            await group.WriteAllPartsAsync<ReadOnlyMemory<char>>(field, values.AsMemory(0, count), levels.AsMemory(0, n), null, ct);
        }
        finally
        {
            ArrayPool<ReadOnlyMemory<char>>.Shared.Return(values, clearArray: true);
            ArrayPool<int>.Shared.Return(levels);
        }
    }

    // A top-level number: required, though inside an optional struct it carries the struct's level (always present).
    private static async Task Values<T>(ParquetRowGroupWriter group, DataField field, IReadOnlyList<ParquetDocumentRow> rows, Func<ParquetDocumentRow, T> get, CancellationToken ct)
        where T : struct
    {
        int n = rows.Count;
        var values = ArrayPool<T>.Shared.Rent(n);
        var levels = field.MaxDefinitionLevel > 0 ? ArrayPool<int>.Shared.Rent(n) : null;
        try
        {
            for (int i = 0; i < n; i++) values[i] = get(rows[i]);
            levels?.AsSpan(0, n).Fill(field.MaxDefinitionLevel);
            await group.WriteAllPartsAsync<T>(field, values.AsMemory(0, n), levels?.AsMemory(0, n), null, ct);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(values);
            if (levels is not null) ArrayPool<int>.Shared.Return(levels);
        }
    }

    private static Task SpanStrings(ParquetRowGroupWriter group, DataField field, SpanLevels spans, Func<ParquetSpanRow, string?> get, CancellationToken ct) =>
        spans.WriteAsync(group, field, s => get(s) is { } v ? (true, v.AsMemory()) : (false, default), ct);

    private static Task SpanValues<T>(ParquetRowGroupWriter group, DataField field, SpanLevels spans, Func<ParquetSpanRow, T> get, CancellationToken ct)
        where T : struct =>
        spans.WriteAsync(group, field, s => (true, get(s)), ct);

    private static Task SpanNullables<T>(ParquetRowGroupWriter group, DataField field, SpanLevels spans, Func<ParquetSpanRow, T?> get, CancellationToken ct)
        where T : struct =>
        spans.WriteAsync(group, field, s => get(s) is T v ? (true, v) : (false, default), ct);

    /// <summary>
    /// The levels of the <c>spans</c> columns (list, repeated group, optional element struct, leaf): per span a
    /// repetition level (0 for a row's first, 1 after), and for a row without spans one empty-list entry.
    /// </summary>
    private readonly struct SpanLevels(IReadOnlyList<ParquetDocumentRow> rows)
    {
        public async Task WriteAsync<T>(ParquetRowGroupWriter group, DataField field, Func<ParquetSpanRow, (bool Has, T Value)> get, CancellationToken ct)
            where T : struct
        {
            int entries = 0;
            foreach (var row in rows) entries += Math.Max(1, row.Spans.Count);
            var values = ArrayPool<T>.Shared.Rent(entries);
            var definition = ArrayPool<int>.Shared.Rent(entries);
            var repetition = ArrayPool<int>.Shared.Rent(entries);
            // The element struct is present at the list's level + 1; a present leaf value (or a required one) one above.
            int element = field.MaxDefinitionLevel - (field.IsNullable ? 1 : 0);
            try
            {
                int e = 0, count = 0;
                foreach (var row in rows)
                {
                    if (row.Spans.Count == 0)
                    {
                        definition[e] = element - 2;
                        repetition[e++] = 0;
                        continue;
                    }
                    for (int j = 0; j < row.Spans.Count; j++)
                    {
                        var (has, value) = get(row.Spans[j]);
                        definition[e] = has ? field.MaxDefinitionLevel : element;
                        repetition[e++] = j == 0 ? 0 : 1;
                        if (has) values[count++] = value;
                    }
                }
                await group.WriteAllPartsAsync<T>(field, values.AsMemory(0, count), definition.AsMemory(0, entries), repetition.AsMemory(0, entries), ct);
            }
            finally
            {
                ArrayPool<T>.Shared.Return(values, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>());
                ArrayPool<int>.Shared.Return(definition);
                ArrayPool<int>.Shared.Return(repetition);
            }
        }
    }

    /// <summary>One decoded leaf value, typed by the caller's column; default where a similarity or cosine is null.</summary>
    private readonly struct Value(ReadOnlyMemory<char> chars, long number, double? real)
    {
        public string AsString() => new(chars.Span);
        public int Int => (int)number;
        public long Long => number;
        public bool Bool => number != 0;
        public double? NullableDouble => real;

        public static Value Of(ReadOnlyMemory<char> v) => new(v, 0, null);
        public static Value Of(int v) => new(default, v, null);
        public static Value Of(long v) => new(default, v, null);
        public static Value Of(bool v) => new(default, v ? 1 : 0, null);
        public static Value Of(double v) => new(default, 0, v);
    }

    /// <summary>Reads the layout's columns one at a time, checking their levels against the rows and spans made so far.</summary>
    private sealed class ColumnReader(ParquetRowGroupReader group)
    {
        private int[]? _spanRepetition;
        private int _spanEntries;

        public async Task Top(DataField field, List<ParquetDocumentRow> rows, Action<ParquetDocumentRow, Value> set, CancellationToken ct)
        {
            var (values, definition, _, entries) = await Read(field, nested: false, ct);
            if (entries != rows.Count)
                throw new InvalidDataException($"column {field.Path} has {entries} values for {rows.Count} rows");
            int v = 0;
            for (int i = 0; i < entries; i++)
            {
                if (definition is not null && definition[i] != field.MaxDefinitionLevel)
                    throw new InvalidDataException($"column {field.Path}: row {i} has no value (null), which nextlong never writes");
                set(rows[i], values(v++));
            }
        }

        public async Task Spans(DataField field, List<ParquetDocumentRow> rows, Action<ParquetSpanRow, Value> set, CancellationToken ct)
        {
            var (values, definition, repetition, entries) = await Read(field, nested: true, ct);
            int element = field.MaxDefinitionLevel - (field.IsNullable ? 1 : 0);
            bool first = _spanRepetition is null;
            if (first)
            {
                _spanRepetition = repetition;
                _spanEntries = entries;
            }
            else if (entries != _spanEntries || !repetition.AsSpan(0, entries).SequenceEqual(_spanRepetition.AsSpan(0, entries)))
                throw new InvalidDataException($"column {field.Path}: its repetition levels differ from column spans.list.element.role's");
            int row = -1, span = 0, v = 0;
            for (int e = 0; e < entries; e++)
            {
                if (repetition![e] == 0)
                {
                    row++;
                    span = 0;
                    if (row >= rows.Count)
                        throw new InvalidDataException($"column {field.Path} has entries for more than {rows.Count} rows");
                }
                int d = definition![e];
                if (d < element)
                {
                    // An empty or null list: only as a row's one entry, and never a null span.
                    if (repetition[e] != 0 || d >= element - 1)
                        throw new InvalidDataException($"column {field.Path}: row {row} has a null span");
                    continue;
                }
                if (first) rows[row].Spans.Add(new ParquetSpanRow());
                else if (span >= rows[row].Spans.Count)
                    throw new InvalidDataException($"column {field.Path}: row {row} has more spans than column spans.list.element.role");
                var target = rows[row].Spans[span++];
                if (d == field.MaxDefinitionLevel) set(target, values(v++));
                else if (field.ClrType == typeof(double)) set(target, default);
                else throw new InvalidDataException($"column {field.Path}: row {row} has a span without a value (null), which nextlong never writes");
            }
            if (row != rows.Count - 1)
                throw new InvalidDataException($"column {field.Path} has entries for {row + 1} rows of {rows.Count}");
        }

        private async Task<(Func<int, Value> Values, int[]? Definition, int[]? Repetition, int Entries)> Read(DataField field, bool nested, CancellationToken ct)
        {
            if (field.MaxRepetitionLevel != (nested ? 1 : 0))
                throw new InvalidDataException($"column {field.Path} is {(nested ? "not " : "")}repeated, unlike nextlong's layout");
            long count = group.GetMetadata(field)?.MetaData?.NumValues ?? throw new InvalidDataException($"no column chunk for {field.Path}");
            int n = checked((int)count);
            int[]? definition = field.MaxDefinitionLevel > 0 ? new int[n] : null;
            int[]? repetition = nested ? new int[n] : null;
            // Not `Memory<int>? d = definition`: a null array (or a bare null) converts to an empty Memory, not to no buffer.
            Memory<int>? d = definition is null ? (Memory<int>?)null : definition;
            Memory<int>? r = repetition is null ? (Memory<int>?)null : repetition;
            Type t = field.ClrType;
            Func<int, Value> values =
                t == typeof(ReadOnlyMemory<char>) ? await Typed<ReadOnlyMemory<char>>(Value.Of)
                : t == typeof(int) ? await Typed<int>(Value.Of)
                : t == typeof(long) ? await Typed<long>(Value.Of)
                : t == typeof(double) ? await Typed<double>(Value.Of)
                : t == typeof(bool) ? await Typed<bool>(Value.Of)
                : throw new InvalidDataException($"column {field.Path} is {t.Name}, not a type of nextlong's layout");
            return (values, definition, repetition, n);

            async Task<Func<int, Value>> Typed<T>(Func<T, Value> of) where T : struct
            {
                var raw = new T[n];
                await group.ReadRawAsync(field, raw.AsMemory(), d, r, ct);
                return i => of(raw[i]);
            }
        }
    }
}
