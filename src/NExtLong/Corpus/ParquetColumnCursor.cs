using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;

namespace NExtLong.Corpus;

/// <summary>
/// One column of the current Parquet row group, walked row by row: values and definition levels are read into pooled
/// buffers that the next row group reuses. Handles string columns, and 64- or 32-bit integer columns for ids, at any
/// depth of non-repeated structs (a null struct makes the value null, as in "metadata.id").
/// </summary>
internal sealed class ParquetColumnCursor : IDisposable
{
    private readonly DataField _field;
    private ReadOnlyMemory<char>[] _strings = [];
    private long[] _longs = [];
    private int[] _ints = [];
    private int[] _definitionLevels = [];
    private int _valueCount;
    private long _row;
    private int _value;

    public ParquetColumnCursor(DataField field) => _field = field;

    /// <summary>Whether the column is a non-repeated string column (or, with <paramref name="integersToo"/>, integer).</summary>
    public static bool CanRead(DataField field, bool integersToo) =>
        field.MaxRepetitionLevel == 0 && (field.ClrType == typeof(ReadOnlyMemory<char>)
            || integersToo && (field.ClrType == typeof(long) || field.ClrType == typeof(int)));

    /// <summary>Reads the column of <paramref name="rowGroup"/>; the cursor then stands before its first row.</summary>
    public async Task LoadAsync(ParquetRowGroupReader rowGroup, CancellationToken ct)
    {
        long count = rowGroup.GetMetadata(_field)?.MetaData?.NumValues
            ?? throw new InvalidDataException($"the row group has no column chunk for '{_field.Path}'");
        if (count != rowGroup.RowCount)
            throw new InvalidDataException($"column '{_field.Path}' has {count} values for {rowGroup.RowCount} rows");
        int n = checked((int)count);
        ReleaseStrings();
        _valueCount = n;
        Memory<int>? levels = null;
        if (_field.MaxDefinitionLevel > 0)
            levels = Rent(ref _definitionLevels, n).AsMemory(0, n);

        if (_field.ClrType == typeof(long))
            await rowGroup.ReadRawAsync(_field, Rent(ref _longs, n).AsMemory(0, n), levels, null, ct);
        else if (_field.ClrType == typeof(int))
            await rowGroup.ReadRawAsync(_field, Rent(ref _ints, n).AsMemory(0, n), levels, null, ct);
        else
            await rowGroup.ReadRawAsync(_field, Rent(ref _strings, n).AsMemory(0, n), levels, null, ct);

        _row = -1;
        _value = -1;
    }

    /// <summary>Moves to the next row; false when its value is null.</summary>
    public bool MoveNext()
    {
        _row++;
        // Values are stored packed: a row whose definition level is below the maximum (null here or above) has none.
        if (_field.MaxDefinitionLevel > 0 && _definitionLevels[_row] < _field.MaxDefinitionLevel)
            return false;
        _value++;
        return true;
    }

    /// <summary>The current row's value as a string (integers in invariant digits).</summary>
    public string Text() =>
        _field.ClrType == typeof(long) ? _longs[_value].ToString(CultureInfo.InvariantCulture)
        : _field.ClrType == typeof(int) ? _ints[_value].ToString(CultureInfo.InvariantCulture)
        : new string(_strings[_value].Span);

    public void Dispose()
    {
        Return(ref _strings);
        Return(ref _longs);
        Return(ref _ints);
        Return(ref _definitionLevels);
    }

    // Lets the previous row group's texts be collected while the pooled array waits for the next one.
    private void ReleaseStrings() => _strings.AsSpan(0, Math.Min(_valueCount, _strings.Length)).Clear();

    private static T[] Rent<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            Return(ref buffer);
            buffer = ArrayPool<T>.Shared.Rent(length);
        }
        return buffer;
    }

    private static void Return<T>(ref T[] buffer)
    {
        if (buffer.Length > 0)
            ArrayPool<T>.Shared.Return(buffer, clearArray: RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        buffer = [];
    }
}
