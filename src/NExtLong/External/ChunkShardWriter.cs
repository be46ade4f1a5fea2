using System.Text.Json;
using Parquet;
using Parquet.Schema;
using ZstdSharp;

namespace NExtLong.External;

/// <summary>
/// Writes chunks, in index order, into shards of <c>shardChunks</c> rows: Parquet (<c>chunks-NNNNN.parquet</c>: chunk_id
/// int64, document_id, source, text) or JSON lines with the same fields, zstd-compressed (<c>chunks-NNNNN.jsonl.zst</c>).
/// Shard and row group boundaries depend only on the chunk stream, so the same chunks give the same bytes however they
/// were produced (one process, or ranks merged). Memory holds one row group: at most <see cref="RowGroupRows"/> rows or
/// <see cref="RowGroupChars"/> characters of text. A shard is written under a .tmp name and renamed when full.
/// </summary>
internal sealed class ChunkShardWriter : IDisposable
{
    public const int RowGroupRows = 65_536;

    /// <summary>Text characters per row group (about 64 MB of UTF-8 for English), to bound memory.</summary>
    public const long RowGroupChars = 32L << 20;

    public static readonly DataField ChunkId = new DataField<long>("chunk_id");
    public static readonly DataField DocumentId = new DataField<string>("document_id", nullable: false);
    public static readonly DataField Source = new DataField<string>("source", nullable: false);
    public static readonly DataField Text = new DataField<string>("text", nullable: false);
    private static readonly ParquetSchema Schema = new(ChunkId, DocumentId, Source, Text);

    /// <summary>zstd level of JSON-lines shards: the dataset parts' default, fast to write and to read.</summary>
    private const int ZstdLevel = 3;

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly string _dir;
    private readonly int _shardChunks;
    private readonly ChunkShardFormat _format;
    private readonly CancellationToken _ct;
    private readonly List<ChunkShard> _shards = [];
    private readonly long[] _ids = new long[RowGroupRows];
    private readonly List<string> _documents = new(RowGroupRows), _sources = new(RowGroupRows), _texts = new(RowGroupRows);
    private FileStream? _file;
    private Output.EarlyWriteback? _writeback;
    private ParquetWriter? _writer;
    private CompressionStream? _zstd;
    private readonly Output.JsonLines _lines = new(JsonOptions);
    private long _chunk, _shardFirst, _chars;
    private bool _done;

    public ChunkShardWriter(string dir, int shardChunks, ChunkShardFormat format = ChunkShardFormat.Parquet, CancellationToken ct = default)
    {
        _dir = dir;
        _shardChunks = shardChunks;
        _format = format;
        _ct = ct;
    }

    public static string FileName(int shard, ChunkShardFormat format = ChunkShardFormat.Parquet) => $"chunks-{shard:D5}{format.Extension()}";

    public long Chunks => _chunk;

    /// <summary>Appends the next chunk; its chunk id is the number of chunks before it.</summary>
    public void Add(string documentId, string source, string text)
    {
        _ids[_documents.Count] = _chunk++;
        _documents.Add(documentId);
        _sources.Add(source);
        _texts.Add(text);
        _chars += text.Length;
        if (_documents.Count == RowGroupRows || _chars >= RowGroupChars || _chunk - _shardFirst == _shardChunks)
            FlushRowGroup();
        if (_chunk - _shardFirst == _shardChunks)
            CloseShard();
    }

    /// <summary>Writes what is pending and returns every shard, in order.</summary>
    public IReadOnlyList<ChunkShard> Complete()
    {
        FlushRowGroup();
        CloseShard();
        _done = true;
        return _shards;
    }

    private void FlushRowGroup()
    {
        int rows = _documents.Count;
        if (rows == 0) return;
        _ct.ThrowIfCancellationRequested();
        if (_file is null)
        {
            _file = new FileStream(Path.Combine(_dir, FileName(_shards.Count, _format) + ".tmp"), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 20);
            _writeback = new Output.EarlyWriteback(_file);
            if (_format == ChunkShardFormat.Parquet)
                _writer = Sync(() => ParquetWriter.CreateAsync(Schema, _file, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, append: false, _ct));
            else
            {
                _zstd = new CompressionStream(_file, ZstdLevel, leaveOpen: true);
                _zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);  // a damaged shard fails to decode, not silently
            }
        }
        if (_zstd is not null)
        {
            for (int i = 0; i < rows; i++)
            {
                var json = _lines.Start();
                json.WriteStartObject();
                json.WriteNumber("chunk_id", _ids[i]);
                json.WriteString("document_id", _documents[i]);
                json.WriteString("source", _sources[i]);
                json.WriteString("text", _texts[i]);
                json.WriteEndObject();
                _lines.AppendTo(_zstd);
            }
        }
        else
            Sync(async () =>
            {
                using var group = _writer!.CreateRowGroup();
                await group.WriteAsync<long>(ChunkId, _ids.AsMemory(0, rows), null, null, _ct);
                await group.WriteAsync(DocumentId, _documents, null);
                await group.WriteAsync(Source, _sources, null);
                await group.WriteAsync(Text, _texts, null);
                group.CompleteValidate();
                return true;
            });
        _writeback!.Written();
        _documents.Clear();
        _sources.Clear();
        _texts.Clear();
        _chars = 0;
    }

    private void CloseShard()
    {
        if (_file is null) return;
        if (_writer is not null) Sync(async () => { await _writer.DisposeAsync(); return true; });
        _writer = null;
        _zstd?.Dispose();
        _zstd = null;
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        _file = null;
        string name = FileName(_shards.Count, _format), path = Path.Combine(_dir, name);
        File.Move(path + ".tmp", path, overwrite: true);
        _shards.Add(new ChunkShard(name, _shardFirst, _chunk - _shardFirst, FileChecksum.Of(path, _ct)));
        _shardFirst = _chunk;
    }

    /// <summary>Abandons a shard in progress (its .tmp file goes); completed shards stay until the caller removes them.</summary>
    public void Dispose()
    {
        if (_done) return;
        _done = true;
        try
        {
            if (_writer is not null) Sync(async () => { await _writer.DisposeAsync(); return true; });
            _zstd?.Dispose();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // The shard is abandoned anyway.
        }
        _file?.Dispose();
        File.Delete(Path.Combine(_dir, FileName(_shards.Count, _format) + ".tmp"));
    }

    // Parquet.Net is async only; run it off any synchronization context so waiting cannot deadlock.
    private static T Sync<T>(Func<Task<T>> work) => Task.Run(work).GetAwaiter().GetResult();
}
