using System.Buffers;
using System.Runtime.InteropServices;
using Parquet;
using Parquet.Schema;

namespace NExtLong.External;

/// <summary>
/// Parquet files with an int64 <c>chunk_id</c> column and a vector column: a list of float32 (Arrow's list or
/// fixed_size_list, as pyarrow writes them) or binary holding little-endian float32 values. The vector column is the
/// one named <see cref="VectorColumn"/>, or the only other column. Read one row group at a time into pooled buffers.
/// </summary>
internal sealed class ParquetVectorShardReader : IVectorShardReader
{
    public const string VectorColumn = "embedding";

    private readonly FileStream _stream;
    private readonly ParquetReader _reader;
    private readonly DataField _ids, _vectors;
    private readonly bool _binary;
    private long[] _groupIds = [];
    private float[] _values = [];
    private ReadOnlyMemory<byte>[] _blobs = [];
    private int[] _definitions = [], _repetitions = [];
    private int _group = -1, _groupRows, _groupRow, _entry, _entryCount, _value;
    private long _rowsBefore;

    private ParquetVectorShardReader(string path, FileStream stream, ParquetReader reader, DataField ids, DataField vectors, bool binary)
    {
        Path = path;
        _stream = stream;
        _reader = reader;
        _ids = ids;
        _vectors = vectors;
        _binary = binary;
        Rows = reader.RowGroups.Sum(g => g.RowCount);
    }

    public static IVectorShardReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        ParquetReader reader;
        try
        {
            reader = Sync(() => ParquetReader.CreateAsync(stream, leaveStreamOpen: true));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            stream.Dispose();
            throw new InvalidDataException($"{path}: not a Parquet file, or truncated ({e.Message})", e);
        }
        try
        {
            var fields = reader.Schema.GetDataFields();
            var ids = fields.FirstOrDefault(f => f.Path.ToString() == "chunk_id")
                ?? throw new InvalidDataException($"{path}: no chunk_id column (columns: {string.Join(", ", fields.Select(f => f.Path))}); vectors in Parquet are keyed by the chunk_id of the chunk shards");
            if (ids.ClrType != typeof(long) || ids.MaxRepetitionLevel > 0)
                throw new InvalidDataException($"{path}: chunk_id is {ids.ClrType.Name}, not int64");
            var others = fields.Where(f => f != ids).ToList();
            var vectors = others.FirstOrDefault(f => f.Path.ToString().Split('.')[0] == VectorColumn) ?? (others.Count == 1 ? others[0]
                : throw new InvalidDataException($"{path}: no '{VectorColumn}' column among {string.Join(", ", others.Select(f => f.Path))}; name the vector column '{VectorColumn}'"));
            bool binary = (vectors.ClrType == typeof(byte[]) || vectors.ClrType == typeof(ReadOnlyMemory<byte>)) && vectors.MaxRepetitionLevel == 0;
            if (!binary && !(vectors.ClrType == typeof(float) && vectors.MaxRepetitionLevel == 1))
                throw new InvalidDataException($"{path}: column {vectors.Path} is {vectors.ClrType.Name}{(vectors.MaxRepetitionLevel > 0 ? " list" : "")}; store vectors as list<float32> (fixed_size_list) or binary little-endian float32");
            var shard = new ParquetVectorShardReader(path, stream, reader, ids, vectors, binary);
            shard.Dimension = shard.FirstRowLength();
            return shard;
        }
        catch
        {
            Sync(async () => { await reader.DisposeAsync(); return true; });
            stream.Dispose();
            throw;
        }
    }

    public string Path { get; }

    public long Rows { get; }

    public int Dimension { get; private set; }

    public bool Keyed => true;

    public int Read(Span<float> destination, Span<long> chunkIds)
    {
        int done = 0, max = Math.Min(destination.Length / Math.Max(1, Dimension), chunkIds.Length);
        while (done < max)
        {
            if (_groupRow == _groupRows)
            {
                if (_group + 1 >= _reader.RowGroupCount) break;
                _rowsBefore += _groupRows;
                Load(_group + 1);
                continue;
            }
            chunkIds[done] = _groupIds[_groupRow];
            NextVector(destination.Slice(done * Dimension, Dimension));
            _groupRow++;
            done++;
        }
        return done;
    }

    // The row's values into destination; a row of another length or with nulls is an error naming it.
    private void NextVector(Span<float> destination)
    {
        long row = _rowsBefore + _groupRow;
        if (_binary)
        {
            var bytes = _vectors.MaxDefinitionLevel > 0 && _definitions[_groupRow] < _vectors.MaxDefinitionLevel ? default : _blobs[_value++].Span;
            if (bytes.Length != Dimension * sizeof(float))
                throw new InvalidDataException($"{Path} row {row}: {(bytes.IsEmpty ? "null vector" : $"{bytes.Length} bytes, not {Dimension} float32 ({Dimension * sizeof(float)} bytes) as row 0")}");
            MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
            return;
        }
        int count = 0;
        bool nulls = false;
        do
        {
            if (_definitions[_entry] == _vectors.MaxDefinitionLevel)
            {
                if (count < destination.Length) destination[count] = _values[_value];
                _value++;
                count++;
            }
            else nulls = true;
            _entry++;
        } while (_entry < _entryCount && _repetitions[_entry] != 0);
        if (nulls) throw new InvalidDataException($"{Path} row {row}: null or empty vector, or a null value in it");
        if (count != Dimension) throw new InvalidDataException($"{Path} row {row}: {count} values, not {Dimension} as row 0 (wrong dimension)");
    }

    private void Load(int group)
    {
        using var rowGroup = _reader.OpenRowGroupReader(group);
        _group = group;
        _groupRows = checked((int)rowGroup.RowCount);
        _groupRow = _entry = _value = 0;
        int entries = checked((int)(rowGroup.GetMetadata(_vectors)?.MetaData?.NumValues ?? 0));
        _entryCount = entries;
        var ids = Rent(ref _groupIds, _groupRows).AsMemory(0, _groupRows);
        // Level buffers are always given: the library wants them whenever the file stores levels.
        var idLevels = Rent(ref _definitions, _groupRows).AsMemory(0, _groupRows);
        Sync(async () => { await rowGroup.ReadRawAsync(_ids, ids, idLevels, null); return true; });
        if (_ids.MaxDefinitionLevel > 0 && idLevels.Span.ContainsAnyExcept(_ids.MaxDefinitionLevel))
            throw new InvalidDataException($"{Path} row {_rowsBefore + idLevels.Span.IndexOfAnyExcept(_ids.MaxDefinitionLevel)}: null chunk_id");
        var definitions = Rent(ref _definitions, entries).AsMemory(0, entries);
        if (_binary)
            Sync(async () => { await rowGroup.ReadRawAsync(_vectors, Rent(ref _blobs, entries).AsMemory(0, entries), definitions, null); return true; });
        else
        {
            var repetitions = Rent(ref _repetitions, entries).AsMemory(0, entries);
            Sync(async () => { await rowGroup.ReadRawAsync(_vectors, Rent(ref _values, entries).AsMemory(0, entries), definitions, repetitions); return true; });
        }
    }

    private int FirstRowLength()
    {
        if (Rows == 0) return 1;
        int group = 0;
        while (_reader.RowGroups[group].RowCount == 0) group++;
        Load(group);
        int length;
        if (_binary)
            length = _vectors.MaxDefinitionLevel > 0 && _definitions[0] < _vectors.MaxDefinitionLevel ? 0 : _blobs[0].Length / sizeof(float);
        else
        {
            length = 1;
            while (length < _entryCount && _repetitions[length] != 0) length++;
        }
        if (length == 0) throw new InvalidDataException($"{Path} row 0: null or empty vector");
        // Start again from the first row group when reading.
        _group = -1;
        _groupRows = _groupRow = 0;
        _rowsBefore = 0;
        return length;
    }

    public void Dispose()
    {
        Sync(async () => { await _reader.DisposeAsync(); return true; });
        _stream.Dispose();
        Return(ref _groupIds);
        Return(ref _values);
        Return(ref _blobs);
        Return(ref _definitions);
        Return(ref _repetitions);
    }

    private static T[] Rent<T>(ref T[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            Return(ref buffer);
            buffer = ArrayPool<T>.Shared.Rent(Math.Max(1, length));
        }
        return buffer;
    }

    private static void Return<T>(ref T[] buffer)
    {
        if (buffer.Length > 0) ArrayPool<T>.Shared.Return(buffer, clearArray: typeof(T) == typeof(ReadOnlyMemory<byte>));
        buffer = [];
    }

    // Parquet.Net is async only; run it off any synchronization context so waiting cannot deadlock.
    private static T Sync<T>(Func<Task<T>> work) => Task.Run(work).GetAwaiter().GetResult();
}
