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
    private static readonly Column Id = RowString("id", r => r.Id, (r, v) => r.Id = v);
    private static readonly Column Text = RowString("text", r => r.Text, (r, v) => r.Text = v);
    private static readonly Column NumTokens = RowInt("num_tokens", r => r.NumTokens, (r, v) => r.NumTokens = v);
    private static readonly Column MetaId = RowString("id", r => r.MetaDocument.Id, (r, v) => r.MetaDocument.Id = v);
    private static readonly Column MetaSource = RowString("source", r => r.MetaDocument.Source, (r, v) => r.MetaDocument.Source = v);
    private static readonly Column MetaChars = RowInt("chars", r => r.MetaDocument.Chars, (r, v) => r.MetaDocument.Chars = v);
    private static readonly Column MetaChunks = RowInt("meta_chunks", r => r.MetaDocument.MetaChunks, (r, v) => r.MetaDocument.MetaChunks = v);
    private static readonly Column K = RowInt("k", r => r.K, (r, v) => r.K = v);
    private static readonly Column Attempts = RowInt("attempts", r => r.Attempts, (r, v) => r.Attempts = v);
    private static readonly Column NearDuplicatesSkipped = RowInt("near_duplicates_skipped", r => r.NearDuplicatesSkipped, (r, v) => r.NearDuplicatesSkipped = v);
    private static readonly Column NearDuplicateCosine = RowInt("near_duplicate_cosine", r => r.FalseNegativesSkipped.NearDuplicateCosine, (r, v) => r.FalseNegativesSkipped.NearDuplicateCosine = v);
    private static readonly Column ShingleContainment = RowInt("shingle_containment", r => r.FalseNegativesSkipped.ShingleContainment, (r, v) => r.FalseNegativesSkipped.ShingleContainment = v);
    private static readonly Column ShingleJaccard = RowInt("shingle_jaccard", r => r.FalseNegativesSkipped.ShingleJaccard, (r, v) => r.FalseNegativesSkipped.ShingleJaccard = v);
    private static readonly Column Role = SpanString("role", s => s.Role, (s, v) => s.Role = v);
    private static readonly Column MetaChunk = SpanValue<int>("meta_chunk", s => s.MetaChunk, (s, v) => s.MetaChunk = v);
    private static readonly Column ChunkId = SpanValue<long>("chunk_id", s => s.ChunkId, (s, v) => s.ChunkId = v);
    private static readonly Column Document = SpanString("document", s => s.Document, (s, v) => s.Document = v);
    private static readonly Column Source = SpanString("source", s => s.Source, (s, v) => s.Source = v);
    private static readonly Column Rank = SpanValue<int>("rank", s => s.Rank, (s, v) => s.Rank = v);
    private static readonly Column Similarity = SpanOptional("similarity", s => s.Similarity, (s, v) => s.Similarity = v);
    private static readonly Column Cosine = SpanOptional("cosine", s => s.Cosine, (s, v) => s.Cosine = v);
    private static readonly Column CharStart = SpanValue<int>("char_start", s => s.CharStart, (s, v) => s.CharStart = v);
    private static readonly Column CharEnd = SpanValue<int>("char_end", s => s.CharEnd, (s, v) => s.CharEnd = v);
    private static readonly Column TokenStart = SpanValue<int>("token_start", s => s.TokenStart, (s, v) => s.TokenStart = v);
    private static readonly Column TokenEnd = SpanValue<int>("token_end", s => s.TokenEnd, (s, v) => s.TokenEnd = v);
    private static readonly Column Truncated = SpanValue<bool>("truncated", s => s.Truncated, (s, v) => s.Truncated = v);

    /// <summary>The top-level columns, in order; a file whose fields have these names is taken for nextlong's.</summary>
    public static readonly ParquetSchema Schema = new(
        Id.Field, Text.Field, NumTokens.Field,
        new StructField("meta_document", MetaId.Field, MetaSource.Field, MetaChars.Field, MetaChunks.Field),
        K.Field, Attempts.Field, NearDuplicatesSkipped.Field,
        new StructField("false_negatives_skipped", NearDuplicateCosine.Field, ShingleContainment.Field, ShingleJaccard.Field),
        new ListField("spans", new StructField("element", Role.Field, MetaChunk.Field, ChunkId.Field, Document.Field, Source.Field,
            Rank.Field, Similarity.Field, Cosine.Field, CharStart.Field, CharEnd.Field, TokenStart.Field, TokenEnd.Field, Truncated.Field)));

    // The leaf columns in the schema's order, which Parquet requires for writing; checked against it once.
    private static readonly Column[] Leaves = InSchemaOrder(
        Id, Text, NumTokens, MetaId, MetaSource, MetaChars, MetaChunks, K, Attempts, NearDuplicatesSkipped,
        NearDuplicateCosine, ShingleContainment, ShingleJaccard,
        Role, MetaChunk, ChunkId, Document, Source, Rank, Similarity, Cosine, CharStart, CharEnd, TokenStart, TokenEnd, Truncated);

    /// <summary>Writes <paramref name="rows"/> as the columns of <paramref name="group"/>, in schema order.</summary>
    public static async Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<ParquetDocumentRow> rows, CancellationToken ct)
    {
        foreach (var column in Leaves)
            await column.WriteAsync(group, rows, ct);
        group.CompleteValidate();
    }

    /// <summary>
    /// Decodes every column of row group <paramref name="index"/> into rows, through the file's own fields (its schema
    /// has the layout's names); a column whose path, type or levels do not fit the layout is reported as damaged.
    /// </summary>
    public static async Task<List<ParquetDocumentRow>> ReadAsync(ParquetReader reader, int index, CancellationToken ct)
    {
        var group = reader.OpenRowGroupReader(index);
        int n = checked((int)group.RowCount);
        var rows = new List<ParquetDocumentRow>(n);
        for (int i = 0; i < n; i++) rows.Add(new ParquetDocumentRow());
        var fields = reader.Schema.GetDataFields();
        if (fields.Length != Leaves.Length)
            throw new InvalidDataException($"{fields.Length} columns, where nextlong's layout has {Leaves.Length}");
        // The first span column makes the spans; every other one must repeat its levels exactly.
        var columns = new ColumnReader(group);
        for (int c = 0; c < Leaves.Length; c++)
        {
            if (!fields[c].Path.Equals(Leaves[c].Field.Path))
                throw new InvalidDataException($"column {c} is {fields[c].Path}, where nextlong's layout has {Leaves[c].Field.Path}");
            await Leaves[c].ReadAsync(columns, fields[c], rows, ct);
        }
        return rows;
    }

    private static Column[] InSchemaOrder(params Column[] leaves) =>
        leaves.Select(c => c.Field).SequenceEqual(Schema.GetDataFields())
            ? leaves
            : throw new InvalidOperationException("ParquetDocumentLayout lists its columns in another order than its schema");

    // Strings are written and read as the UTF-16 memory Parquet.Net decodes them into.
    private static Column RowString(string name, Func<ParquetDocumentRow, string> get, Action<ParquetDocumentRow, string> set) =>
        new RowColumn<ReadOnlyMemory<char>>(new DataField<string>(name), r => get(r)?.AsMemory(), (r, v) => set(r, new string(v.Span)));

    private static Column RowInt(string name, Func<ParquetDocumentRow, int> get, Action<ParquetDocumentRow, int> set) =>
        new RowColumn<int>(new DataField<int>(name), r => get(r), set);

    private static Column SpanString(string name, Func<ParquetSpanRow, string> get, Action<ParquetSpanRow, string> set) =>
        new SpanColumn<ReadOnlyMemory<char>>(new DataField<string>(name), s => get(s)?.AsMemory(), (s, v) => set(s, new string(v!.Value.Span)), nulls: false);

    private static Column SpanValue<T>(string name, Func<ParquetSpanRow, T> get, Action<ParquetSpanRow, T> set) where T : struct =>
        new SpanColumn<T>(new DataField<T>(name), s => get(s), (s, v) => set(s, v!.Value), nulls: false);

    // The one kind of column whose values may be missing: a span's similarity and cosine.
    private static Column SpanOptional(string name, Func<ParquetSpanRow, double?> get, Action<ParquetSpanRow, double?> set) =>
        new SpanColumn<double>(new DataField<double?>(name), get, set, nulls: true);

    /// <summary>One leaf column of the layout: its field, and how rows give their values to it and take them back.</summary>
    private abstract class Column(DataField field)
    {
        public DataField Field { get; } = field;

        public abstract Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<ParquetDocumentRow> rows, CancellationToken ct);

        /// <summary>Sets the column's values in <c>rows</c>, read through <c>stored</c>, the file's own field for it.</summary>
        public abstract Task ReadAsync(ColumnReader columns, DataField stored, List<ParquetDocumentRow> rows, CancellationToken ct);
    }

    /// <summary>
    /// A column with one value a row: numbers required, strings optional (so a definition level per row), and inside
    /// an optional struct carrying the struct's level too (always present).
    /// </summary>
    private sealed class RowColumn<T>(DataField field, Func<ParquetDocumentRow, T?> get, Action<ParquetDocumentRow, T> set) : Column(field)
        where T : struct
    {
        public override async Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<ParquetDocumentRow> rows, CancellationToken ct)
        {
            int n = rows.Count;
            var values = ArrayPool<T>.Shared.Rent(n);
            var levels = Field.MaxDefinitionLevel > 0 ? ArrayPool<int>.Shared.Rent(n) : null;
            try
            {
                int count = 0;
                for (int i = 0; i < n; i++)
                {
                    T? value = get(rows[i]);
                    if (levels is not null) levels[i] = value is null ? Field.MaxDefinitionLevel - 1 : Field.MaxDefinitionLevel;
                    if (value is T v) values[count++] = v;
                }
                await group.WriteAllPartsAsync<T>(Field, values.AsMemory(0, count), levels?.AsMemory(0, n), null, ct);
            }
            finally
            {
                ArrayPool<T>.Shared.Return(values, clearArray: System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>());
                if (levels is not null) ArrayPool<int>.Shared.Return(levels);
            }
        }

        public override Task ReadAsync(ColumnReader columns, DataField stored, List<ParquetDocumentRow> rows, CancellationToken ct) =>
            columns.Rows(stored, rows, set, ct);
    }

    /// <summary>A column of the <c>spans</c> list: a value per span; missing values only where <c>nulls</c>.</summary>
    private sealed class SpanColumn<T>(DataField field, Func<ParquetSpanRow, T?> get, Action<ParquetSpanRow, T?> set, bool nulls) : Column(field)
        where T : struct
    {
        public override Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<ParquetDocumentRow> rows, CancellationToken ct) =>
            new SpanLevels(rows).WriteAsync(group, Field, get, ct);

        public override Task ReadAsync(ColumnReader columns, DataField stored, List<ParquetDocumentRow> rows, CancellationToken ct) =>
            columns.Spans(stored, rows, set, nulls, ct);
    }

    /// <summary>
    /// The levels of the <c>spans</c> columns (list, repeated group, optional element struct, leaf): per span a
    /// repetition level (0 for a row's first, 1 after), and for a row without spans one empty-list entry.
    /// </summary>
    private readonly struct SpanLevels(IReadOnlyList<ParquetDocumentRow> rows)
    {
        public async Task WriteAsync<T>(ParquetRowGroupWriter group, DataField field, Func<ParquetSpanRow, T?> get, CancellationToken ct)
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
                        T? value = get(row.Spans[j]);
                        definition[e] = value is null ? element : field.MaxDefinitionLevel;
                        repetition[e++] = j == 0 ? 0 : 1;
                        if (value is T v) values[count++] = v;
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

    /// <summary>Reads the layout's columns one at a time, checking their levels against the rows and spans made so far.</summary>
    private sealed class ColumnReader(ParquetRowGroupReader group)
    {
        private int[]? _spanRepetition;
        private int _spanEntries;

        public async Task Rows<T>(DataField field, List<ParquetDocumentRow> rows, Action<ParquetDocumentRow, T> set, CancellationToken ct)
            where T : struct
        {
            var (values, definition, _, entries) = await Read<T>(field, nested: false, ct);
            if (entries != rows.Count)
                throw new InvalidDataException($"column {field.Path} has {entries} values for {rows.Count} rows");
            int v = 0;
            for (int i = 0; i < entries; i++)
            {
                if (definition is not null && definition[i] != field.MaxDefinitionLevel)
                    throw new InvalidDataException($"column {field.Path}: row {i} has no value (null), which nextlong never writes");
                set(rows[i], values[v++]);
            }
        }

        public async Task Spans<T>(DataField field, List<ParquetDocumentRow> rows, Action<ParquetSpanRow, T?> set, bool nulls, CancellationToken ct)
            where T : struct
        {
            var (values, definition, repetition, entries) = await Read<T>(field, nested: true, ct);
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
                if (d == field.MaxDefinitionLevel) set(target, values[v++]);
                else if (nulls) set(target, null);
                else throw new InvalidDataException($"column {field.Path}: row {row} has a span without a value (null), which nextlong never writes");
            }
            if (row != rows.Count - 1)
                throw new InvalidDataException($"column {field.Path} has entries for {row + 1} rows of {rows.Count}");
        }

        private async Task<(T[] Values, int[]? Definition, int[]? Repetition, int Entries)> Read<T>(DataField field, bool nested, CancellationToken ct)
            where T : struct
        {
            if (field.MaxRepetitionLevel != (nested ? 1 : 0))
                throw new InvalidDataException($"column {field.Path} is {(nested ? "not " : "")}repeated, unlike nextlong's layout");
            if (field.ClrType != typeof(T))
                throw new InvalidDataException($"column {field.Path} is {field.ClrType.Name}, where nextlong's layout has {typeof(T).Name}");
            long count = group.GetMetadata(field)?.MetaData?.NumValues ?? throw new InvalidDataException($"no column chunk for {field.Path}");
            int n = checked((int)count);
            int[]? definition = field.MaxDefinitionLevel > 0 ? new int[n] : null;
            int[]? repetition = nested ? new int[n] : null;
            var values = new T[n];
            // Nulls cast explicitly: a null array (or a bare null) would convert to an empty Memory, not to no buffer.
            await group.ReadRawAsync(field, values.AsMemory(), definition is null ? (Memory<int>?)null : definition,
                repetition is null ? (Memory<int>?)null : repetition, ct);
            return (values, definition, repetition, n);
        }
    }
}
