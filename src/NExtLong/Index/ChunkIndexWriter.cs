using System.Buffers.Binary;
using System.Text;

namespace NExtLong.Index;

/// <summary>
/// Streams documents, their chunks and the chunk vectors into a new index folder. Everything is written into
/// "DIR.partial" (a scratch folder nextlong owns) and moved into DIR only by <see cref="Complete"/>, manifest last,
/// so an interrupted build never leaves a folder that looks like an index, and nothing in DIR but the index's own
/// files is ever touched.
/// </summary>
internal sealed class ChunkIndexWriter : IDisposable
{
    private readonly string _finalDir;
    private readonly string _dir;
    private readonly Pipeline.OutputFolder _scratch;
    private readonly BufferedStream _text, _chunks, _ids, _docs, _shingles, _shingleOffsets, _origins, _gaps;
    private readonly VectorIndexFile.Writer? _vectors;
    private readonly Retrieval.LexicalIndexWriter? _lexical;
    private readonly List<(ulong Key, int Doc)> _keys = [];
    private readonly byte[] _record = new byte[ChunkIndexFiles.DocumentRecordBytes];
    private long _textOffset, _idOffset, _chunkCount, _shingleCount, _gapOffset;
    private int _documentCount;
    private bool _completed;

    private readonly string _indexSpec;
    private readonly int _threads;
    private readonly CancellationToken _ct;

    /// <param name="dir">The index folder to make; everything is written into "DIR.partial" until <see cref="Complete"/>.</param>
    /// <param name="dimension">The vectors' dimension; 0 for an index without vectors (the bm25 retriever).</param>
    /// <param name="indexSpec">"Flat", or an IVF spec: then vectors.ivf is built from vectors.flat before the folder is completed.</param>
    /// <param name="threads">Threads that build vectors.ivf (IVF specs only).</param>
    /// <param name="ct">Stops the build; checked while completing the folder.</param>
    /// <param name="lexical">Also writes lexical.bm25 with these settings (the bm25 and hybrid retrievers).</param>
    public ChunkIndexWriter(string dir, int dimension, string indexSpec = "Flat", int threads = 1, CancellationToken ct = default,
        Retrieval.Bm25Settings? lexical = null)
    {
        _indexSpec = indexSpec;
        _threads = threads;
        _ct = ct;
        _finalDir = Path.GetFullPath(dir);
        _dir = _finalDir + ".partial";
        _scratch = Pipeline.OutputFolder.ClaimScratch(_dir);
        _text = Open(ChunkIndexFiles.ChunkText);
        _chunks = Open(ChunkIndexFiles.ChunkTable);
        _ids = Open(ChunkIndexFiles.DocumentIds);
        _docs = Open(ChunkIndexFiles.DocumentTable);
        _shingles = Open(ChunkIndexFiles.ChunkShingles);
        _shingleOffsets = Open(ChunkIndexFiles.ChunkShingleOffsets);
        _origins = Open(ChunkIndexFiles.DocumentOrigins);
        _gaps = Open(ChunkIndexFiles.DocumentGaps);
        WriteUInt64(_shingleOffsets, 0);
        if (dimension > 0) _vectors = new VectorIndexFile.Writer(Path.Combine(_dir, ChunkIndexFiles.Vectors), dimension);
        if (lexical is not null) _lexical = new Retrieval.LexicalIndexWriter(Path.Combine(_dir, ChunkIndexFiles.Lexical), lexical);
    }

    private void CloseStreams()
    {
        foreach (var s in new[] { _text, _chunks, _ids, _docs, _shingles, _shingleOffsets, _origins, _gaps }) s.Dispose();
    }

    private BufferedStream Open(string name)
        => new(new FileStream(Path.Combine(_dir, name), FileMode.CreateNew, FileAccess.Write, FileShare.None), 1 << 20);

    public long ChunkCount => _chunkCount;

    /// <summary>The lexical index being written, if any: a merge hands it the pieces' files instead of analyzing their chunks again.</summary>
    public Retrieval.LexicalIndexWriter? Lexical => _lexical;

    public int DocumentCount => _documentCount;

    /// <summary>Documents whose id (by its 64-bit hash) an earlier document already had; known after <see cref="Complete"/>.</summary>
    public long DuplicateIds { get; private set; }

    /// <summary>Adds one document and returns its ordinal; its chunks must follow through <see cref="AddChunk"/>.</summary>
    /// <param name="id">The document's id.</param>
    /// <param name="source">The ordinal of its source in the manifest's sources.</param>
    /// <param name="chunkCount">The chunks that will follow.</param>
    /// <param name="inputFile">The file it was read from, as an ordinal over every source's files in order.</param>
    /// <param name="record">Its line or row in that file (<see cref="Corpus.CorpusDocument.Record"/>).</param>
    /// <param name="gaps">Its text outside its chunks (<see cref="DocumentGaps"/>).</param>
    public int AddDocument(string id, int source, int chunkCount, int inputFile, long record, ReadOnlySpan<byte> gaps)
    {
        Span<byte> origin = stackalloc byte[ChunkIndexFiles.OriginRecordBytes];
        BinaryPrimitives.WriteInt64LittleEndian(origin, _gapOffset);
        BinaryPrimitives.WriteInt32LittleEndian(origin[8..], gaps.Length);
        BinaryPrimitives.WriteInt32LittleEndian(origin[12..], inputFile);
        BinaryPrimitives.WriteInt64LittleEndian(origin[16..], record);
        _origins.Write(origin);
        _gaps.Write(gaps);
        _gapOffset += gaps.Length;
        var idBytes = Encoding.UTF8.GetBytes(id);
        _ids.Write(idBytes);
        ulong key = ChunkIndexFiles.KeyOf(id);
        var r = _record.AsSpan(0, ChunkIndexFiles.DocumentRecordBytes);
        r.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(r, key);
        BinaryPrimitives.WriteInt64LittleEndian(r[8..], _idOffset);
        BinaryPrimitives.WriteInt64LittleEndian(r[16..], _chunkCount);
        BinaryPrimitives.WriteInt32LittleEndian(r[24..], idBytes.Length);
        BinaryPrimitives.WriteInt32LittleEndian(r[28..], chunkCount);
        BinaryPrimitives.WriteInt32LittleEndian(r[32..], source);
        _docs.Write(r);
        _idOffset += idBytes.Length;
        _keys.Add((key, _documentCount));
        return _documentCount++;
    }

    /// <summary>Adds the next chunk of the document added last, in order; its id is the chunk count before the call.</summary>
    /// <param name="document">The ordinal <see cref="AddDocument"/> returned.</param>
    /// <param name="text">The chunk's text.</param>
    /// <param name="charStart">Where the chunk starts in its document, in characters (Unicode scalar values).</param>
    /// <param name="charLength">The chunk's length in characters (Unicode scalar values).</param>
    /// <param name="vector">The chunk's embedding, <c>dimension</c> components; ignored (and may be empty) without vectors.</param>
    /// <param name="shingles">The chunk's <see cref="Chunking.Shingles.Of(ReadOnlySpan{char})"/>: sorted, distinct.</param>
    /// <param name="analyze">False when the chunk's terms are already in a segment given to <see cref="Lexical"/>.</param>
    public void AddChunk(int document, ReadOnlySpan<char> text, int charStart, int charLength, ReadOnlySpan<float> vector, ReadOnlySpan<ulong> shingles, bool analyze = true)
    {
        int byteCount = Encoding.UTF8.GetByteCount(text);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(byteCount);
        int written = Encoding.UTF8.GetBytes(text, buffer);
        _text.Write(buffer, 0, written);
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        Span<byte> r = stackalloc byte[ChunkIndexFiles.ChunkRecordBytes];
        BinaryPrimitives.WriteInt64LittleEndian(r, _textOffset);
        BinaryPrimitives.WriteInt32LittleEndian(r[8..], written);
        BinaryPrimitives.WriteInt32LittleEndian(r[12..], document);
        BinaryPrimitives.WriteInt32LittleEndian(r[16..], charStart);
        BinaryPrimitives.WriteInt32LittleEndian(r[20..], charLength);
        _chunks.Write(r);
        _vectors?.Append(vector);
        foreach (ulong h in shingles) WriteUInt64(_shingles, h);
        _shingleCount += shingles.Length;
        WriteUInt64(_shingleOffsets, (ulong)_shingleCount);
        if (analyze) _lexical?.Add(text);
        _textOffset += written;
        _chunkCount++;
    }

    private static void WriteUInt64(Stream stream, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    /// <summary>Finishes every file, writes the manifest (with checksums) last, and renames the folder into place.</summary>
    public void Complete(Func<IReadOnlyDictionary<string, string>, IndexManifest> manifest)
    {
        CloseStreams();
        _ct.ThrowIfCancellationRequested();
        _vectors?.Complete();
        _lexical?.Complete(_ct);
        if (_lexical is not null && _lexical.ChunkCount != _chunkCount)
            throw new InvalidDataException($"{_finalDir}: the lexical index holds {_lexical.ChunkCount} chunks, the index {_chunkCount}");
        if (IvfSpec.IsIvf(_indexSpec))
            IvfIndexBuilder.Build(Path.Combine(_dir, ChunkIndexFiles.Vectors), Path.Combine(_dir, ChunkIndexFiles.ApproximateVectors), _indexSpec, _threads, ct: _ct);
        _keys.Sort();
        for (int i = 1; i < _keys.Count; i++)
            if (_keys[i].Key == _keys[i - 1].Key) DuplicateIds++;
        using (var keys = Open(ChunkIndexFiles.DocumentKeys))
        {
            Span<byte> r = stackalloc byte[ChunkIndexFiles.KeyRecordBytes];
            foreach (var (key, doc) in _keys)
            {
                r.Clear();
                BinaryPrimitives.WriteUInt64LittleEndian(r, key);
                BinaryPrimitives.WriteInt32LittleEndian(r[8..], doc);
                keys.Write(r);
            }
        }
        var checksums = ChunkIndexFiles.PayloadFiles.Where(f => File.Exists(Path.Combine(_dir, f)))
            .ToDictionary(f => f, f => FileChecksum.OfIndexFile(Path.Combine(_dir, f), _ct));
        // The last point to stop: after it the folder is renamed into place, complete.
        _ct.ThrowIfCancellationRequested();
        var json = IndexManifest.Json.Serialize(manifest(checksums));
        File.WriteAllText(Path.Combine(_dir, ChunkIndexFiles.Manifest), json);
        Publish();
        _completed = true;
    }

    // The old index stops looking complete (manifest first), its files are replaced by the new ones, and the new
    // manifest goes in last. Files of the old index the new one lacks (vectors.ivf of another spec) go too.
    private void Publish()
    {
        Directory.CreateDirectory(_finalDir);
        File.Delete(Path.Combine(_finalDir, ChunkIndexFiles.Manifest));
        var produced = ChunkIndexFiles.PayloadFiles.Where(f => File.Exists(Path.Combine(_dir, f))).ToList();
        foreach (string stale in ChunkIndexFiles.PayloadFiles.Except(produced))
            File.Delete(Path.Combine(_finalDir, stale));
        foreach (string f in produced)
            File.Move(Path.Combine(_dir, f), Path.Combine(_finalDir, f), overwrite: true);
        File.Move(Path.Combine(_dir, ChunkIndexFiles.Manifest), Path.Combine(_finalDir, ChunkIndexFiles.Manifest), overwrite: true);
        _scratch.Dispose();
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    public void Dispose()
    {
        if (_completed) return;
        CloseStreams();
        _vectors?.Dispose();
        _lexical?.Dispose();
        _scratch.Dispose();
    }
}
