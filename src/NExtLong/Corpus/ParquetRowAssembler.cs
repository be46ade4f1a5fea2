using System.Numerics;
using Parquet;
using Parquet.Schema;

namespace NExtLong.Corpus;

/// <summary>
/// Assembles the rows of a Parquet row group of any schema from its leaf columns, by their definition and repetition
/// levels (record assembly, as in Dremel): a struct becomes a dictionary of its fields in schema order, a list or a
/// repeated field a list, a map a list of key/value pairs, a leaf its value (strings as strings, binary as bytes). It
/// reads columns through the typed column API, which a native build can compile, instead of Parquet.Net's untyped
/// deserializer, which compiles its readers at run time.
/// </summary>
internal sealed class ParquetRowAssembler
{
    // Every field's leaf columns, leftmost first (the first one's levels say whether the field is null, empty or
    // repeats), found once per row group.
    private readonly Dictionary<Field, Leaf[]> _leavesOf = [];
    private readonly ParquetSchema _schema;

    private ParquetRowAssembler(ParquetSchema schema) => _schema = schema;

    /// <summary>Every row of row group <paramref name="index"/> of <paramref name="reader"/>, column name → value.</summary>
    public static async Task<List<Dictionary<string, object?>>> ReadAsync(ParquetReader reader, int index, CancellationToken ct)
    {
        var group = reader.OpenRowGroupReader(index);
        var assembler = new ParquetRowAssembler(reader.Schema);
        var leaves = new Dictionary<DataField, Leaf>();
        foreach (var field in reader.Schema.GetDataFields())
            leaves[field] = await Leaf.ReadAsync(group, field, ct);
        foreach (var field in reader.Schema.Fields)
            assembler.Index(field, leaves);
        int rows = checked((int)group.RowCount);
        var result = new List<Dictionary<string, object?>>(rows);
        for (int r = 0; r < rows; r++)
        {
            foreach (var leaf in leaves.Values)
            {
                if (leaf.AtEnd)
                    throw new InvalidDataException($"column {leaf.Field.Path} ends at row {r} of {rows}");
                if (leaf.Repetition != 0)
                    throw new InvalidDataException($"column {leaf.Field.Path}: row {r} does not start where the other columns' rows do");
            }
            var row = new Dictionary<string, object?>(assembler._schema.Fields.Count);
            foreach (var field in assembler._schema.Fields)
                row[field.Name] = assembler.Value(field, 0);
            result.Add(row);
        }
        foreach (var leaf in leaves.Values)
        {
            if (!leaf.AtEnd)
                throw new InvalidDataException($"column {leaf.Field.Path} has more values than the row group's {rows} rows");
        }
        return result;
    }

    // One value of `field`, whose parent is defined at `parentDefinition`, from the leaves' current entries.
    private object? Value(Field field, int parentDefinition)
    {
        switch (field)
        {
            case DataField { IsArray: true } array:
                return Repeated<object?>(array, parentDefinition, array.MaxDefinitionLevel, array.MaxRepetitionLevel, () => First(array).Take());
            case DataField data:
                return First(data).Take();
            case StructField structure:
            {
                int defined = structure.MaxDefinitionLevel;
                if (First(structure).Definition < defined)
                {
                    Skip(structure);
                    return null;
                }
                var fields = new Dictionary<string, object?>(structure.Fields.Count);
                foreach (var child in structure.Fields)
                    fields[child.Name] = Value(child, defined);
                return fields;
            }
            case ListField list:
                return Repeated<object?>(list, parentDefinition, list.MaxDefinitionLevel, list.MaxRepetitionLevel, () => Value(list.Item, list.MaxDefinitionLevel));
            case MapField map:
                return Repeated<KeyValuePair<object?, object?>>(map, parentDefinition, map.MaxDefinitionLevel, map.MaxRepetitionLevel,
                    () => new KeyValuePair<object?, object?>(Value(map.Key, map.MaxDefinitionLevel), Value(map.Value, map.MaxDefinitionLevel)));
            default:
                throw new InvalidDataException($"field {field.Path} is of a kind this reader does not know ({field.SchemaType})");
        }
    }

    // A list (or map, or repeated leaf): null below the field's own level, empty below its elements', else elements
    // for as long as the next entry repeats at this level.
    private List<T>? Repeated<T>(Field field, int parentDefinition, int elementDefinition, int repetition, Func<T> element)
    {
        if (repetition == 0)
            throw new InvalidDataException($"field {field.Path} is a list without a repeated level, a layout this reader does not know");
        int d = First(field).Definition;
        if (d < elementDefinition)
        {
            bool isNull = field.IsNullable && d <= parentDefinition;
            Skip(field);
            return isNull ? null : [];
        }
        var items = new List<T>();
        do
        {
            items.Add(element());
        }
        while (!First(field).AtEnd && First(field).Repetition >= repetition);
        return items;
    }

    // Consumes one entry from every leaf below `field` (a null or empty value there).
    private void Skip(Field field)
    {
        foreach (var leaf in _leavesOf[field]) leaf.Skip();
    }

    private Leaf First(Field field) => _leavesOf[field][0];

    private Leaf[] Index(Field field, Dictionary<DataField, Leaf> leaves)
    {
        Leaf[] below = field switch
        {
            DataField data => [leaves[data]],
            StructField structure => [.. structure.Fields.SelectMany(child => Index(child, leaves))],
            ListField list => Index(list.Item, leaves),
            MapField map => [.. Index(map.Key, leaves), .. Index(map.Value, leaves)],
            _ => throw new InvalidDataException($"field {field.Path} is of a kind this reader does not know ({field.SchemaType})"),
        };
        _leavesOf[field] = below;
        return below;
    }

    /// <summary>One leaf column of the row group: its values (boxed) and its levels, with a read position.</summary>
    private sealed class Leaf
    {
        private readonly object?[] _values;
        private readonly int[]? _definition;
        private readonly int[]? _repetition;
        private readonly int _entries;
        private int _entry;
        private int _value;

        private Leaf(DataField field, object?[] values, int[]? definition, int[]? repetition, int entries)
        {
            Field = field;
            _values = values;
            _definition = definition;
            _repetition = repetition;
            _entries = entries;
        }

        public DataField Field { get; }
        public bool AtEnd => _entry >= _entries;
        public int Definition => _definition is null ? 0 : At(_definition);
        public int Repetition => _repetition is null ? 0 : At(_repetition);

        /// <summary>The current entry's value (null below the leaf's full definition level); moves past it.</summary>
        public object? Take()
        {
            bool present = _definition is null || At(_definition) == Field.MaxDefinitionLevel;
            _entry++;
            return present ? _values[_value++] : null;
        }

        public void Skip()
        {
            if (_definition is not null && At(_definition) == Field.MaxDefinitionLevel)
                throw new InvalidDataException($"column {Field.Path}: entry {_entry} has a value where an enclosing field is null or empty");
            _entry++;
        }

        private int At(int[] levels) => _entry < _entries
            ? levels[_entry]
            : throw new InvalidDataException($"column {Field.Path} ends before the rows the other columns hold");

        public static async Task<Leaf> ReadAsync(ParquetRowGroupReader group, DataField field, CancellationToken ct)
        {
            long count = group.GetMetadata(field)?.MetaData?.NumValues
                ?? throw new InvalidDataException($"the row group has no column chunk for {field.Path}");
            int n = checked((int)count);
            int[]? definition = field.MaxDefinitionLevel > 0 ? new int[n] : null;
            int[]? repetition = field.MaxRepetitionLevel > 0 ? new int[n] : null;
            var values = new object?[n];
            var column = new Column(group, field, n, definition, repetition, values, ct);
            // One typed read per column type the library decodes; each is compiled ahead of time.
            Type t = field.ClrType;
            await (t == typeof(ReadOnlyMemory<char>) || t == typeof(string) ? column.Read<ReadOnlyMemory<char>>(v => new string(v.Span))
                : t == typeof(ReadOnlyMemory<byte>) || t == typeof(byte[]) ? column.Read<ReadOnlyMemory<byte>>(v => v.ToArray())
                : t == typeof(bool) ? column.Read<bool>(v => v)
                : t == typeof(sbyte) ? column.Read<sbyte>(v => v)
                : t == typeof(byte) ? column.Read<byte>(v => v)
                : t == typeof(short) ? column.Read<short>(v => v)
                : t == typeof(ushort) ? column.Read<ushort>(v => v)
                : t == typeof(int) ? column.Read<int>(v => v)
                : t == typeof(uint) ? column.Read<uint>(v => v)
                : t == typeof(long) ? column.Read<long>(v => v)
                : t == typeof(ulong) ? column.Read<ulong>(v => v)
                : t == typeof(Half) ? column.Read<Half>(v => (float)v)
                : t == typeof(float) ? column.Read<float>(v => v)
                : t == typeof(double) ? column.Read<double>(v => v)
                : t == typeof(decimal) ? column.Read<decimal>(v => v)
                : t == typeof(BigInteger) ? column.Read<BigInteger>(v => v)
                : t == typeof(DateTime) ? column.Read<DateTime>(v => v)
                : t == typeof(DateOnly) ? column.Read<DateOnly>(v => v)
                : t == typeof(Guid) ? column.Read<Guid>(v => v)
                : t == typeof(Parquet.File.Values.Primitives.Interval) ? column.Read<Parquet.File.Values.Primitives.Interval>(v => v)
                : throw new InvalidDataException($"column {field.Path} is of type {t.Name}, which this reader does not decode"));
            return new Leaf(field, values, definition, repetition, n);
        }
    }

    private readonly record struct Column(ParquetRowGroupReader Group, DataField Field, int Entries, int[]? Definition, int[]? Repetition, object?[] Values, CancellationToken Ct)
    {
        public async Task Read<T>(Func<T, object?> box) where T : struct
        {
            var raw = new T[Entries];
            // Explicit nulls: a null array would convert to an empty Memory, which the reader takes for a buffer.
            await Group.ReadRawAsync(Field, raw.AsMemory(), Definition is null ? (Memory<int>?)null : Definition,
                Repetition is null ? (Memory<int>?)null : Repetition, Ct);
            int present = Entries;
            if (Definition is not null)
            {
                present = 0;
                foreach (int d in Definition) if (d == Field.MaxDefinitionLevel) present++;
            }
            for (int i = 0; i < present; i++) Values[i] = box(raw[i]);
        }
    }
}
