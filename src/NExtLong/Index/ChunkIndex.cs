using System.Buffers.Binary;
using System.Text;
using NExtLong.Retrieval;

namespace NExtLong.Index;

/// <summary>
/// The retrieval side of the paper's index (section 3.1.2): every chunk of the corpus, its vector and/or its BM25
/// postings (by the retriever it was built for), and where it came from, opened memory-mapped from an index folder
/// so that only the pages touched are read.
/// </summary>
public sealed class ChunkIndex : IDisposable
{
    private readonly MappedFile _text, _chunks, _ids, _docs, _keys, _shingles, _shingleOffsets;
    private readonly MappedFile? _vectors, _origins, _gaps;
    private readonly IVectorIndex? _vectorIndex;

    /// <summary>False for an index opened for its documents only (<see cref="OpenDocuments"/>): no vectors, no BM25 index.</summary>
    private readonly bool _searchable;

    /// <summary>1 once <see cref="Dispose(Action?)"/> has run: it runs once.</summary>
    private int _disposed;

    // The files come opened and mapped by Open (which checked each through the handle it is mapped from); the index
    // owns the ones it keeps.
    private ChunkIndex(string dir, IndexManifest manifest, IVectorIndex? vectors, IReadOnlyDictionary<string, MappedFile> mapped, bool searchable)
    {
        Directory = dir;
        _searchable = searchable;
        Manifest = manifest;
        Retriever = Retrieval.RetrieverKinds.Parse(manifest.Retriever);
        _vectorIndex = vectors;
        _text = mapped[ChunkIndexFiles.ChunkText];
        _chunks = mapped[ChunkIndexFiles.ChunkTable];
        _ids = mapped[ChunkIndexFiles.DocumentIds];
        _docs = mapped[ChunkIndexFiles.DocumentTable];
        _keys = mapped[ChunkIndexFiles.DocumentKeys];
        _shingles = mapped[ChunkIndexFiles.ChunkShingles];
        _shingleOffsets = mapped[ChunkIndexFiles.ChunkShingleOffsets];
        if (vectors is not null) _vectors = mapped[ChunkIndexFiles.Vectors];
        _origins = mapped.GetValueOrDefault(ChunkIndexFiles.DocumentOrigins);
        _gaps = mapped.GetValueOrDefault(ChunkIndexFiles.DocumentGaps);
        ChunkCount = _chunks.Length / ChunkIndexFiles.ChunkRecordBytes;
        DocumentCount = (int)(_docs.Length / ChunkIndexFiles.DocumentRecordBytes);
        if (ChunkCount != manifest.Chunks || DocumentCount != manifest.Documents || (vectors is not null && vectors.Count != ChunkCount)
            || _shingleOffsets.Length != (ChunkCount + 1) * sizeof(ulong) || ShingleOffset(ChunkCount) * sizeof(ulong) != _shingles.Length
            || (_origins is not null && _origins.Length != (long)DocumentCount * ChunkIndexFiles.OriginRecordBytes))
        {
            Dispose();
            throw new InvalidDataException($"{dir}: the index files disagree with manifest.json ({ChunkCount} chunk records, {vectors?.Count} vectors, {DocumentCount} documents, {_shingleOffsets.Length / sizeof(ulong) - 1} shingle offsets; manifest says {manifest.Chunks} chunks, {manifest.Documents} documents)");
        }
        try
        {
            // Mapped exactly when the opening searches with it (OpenFolder).
            if (mapped.TryGetValue(ChunkIndexFiles.Lexical, out var lexical))
                Lexical = Retrieval.LexicalIndex.Open(lexical,
                    manifest.Lexical ?? throw new InvalidDataException($"{dir}: manifest.json names retriever {manifest.Retriever} but no lexical settings"), ChunkCount);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>What the index was built for: dense (vectors), bm25 (lexical index only) or hybrid (both).</summary>
    public Retrieval.RetrieverKind Retriever { get; }

    /// <summary>The BM25 index over the chunks; null for a dense index.</summary>
    public Retrieval.LexicalIndex? Lexical { get; }

    /// <summary>The index folder, as given to <see cref="Open"/>.</summary>
    public string Directory { get; }

    /// <summary>The folder's manifest.json: build settings, sources, counts and file checksums.</summary>
    public IndexManifest Manifest { get; }

    /// <summary>The chunk vectors; a bm25 index has none, and asking for them is an error naming the fix.</summary>
    public IVectorIndex Vectors => _vectorIndex
        ?? throw new InvalidOperationException(_searchable
            ? $"{Directory}: this index was built with --retriever bm25 and holds no vectors; rebuild it with --retriever dense or hybrid"
            : $"{Directory}: opened for its documents only, without its vectors");

    /// <summary>Chunks in the index; chunk ids run from 0 to <c>ChunkCount - 1</c>, grouped by document in index order.</summary>
    public long ChunkCount { get; }

    /// <summary>Documents in the index; document ordinals run from 0 to <c>DocumentCount - 1</c>, in input order.</summary>
    public int DocumentCount { get; }

    /// <summary>True when <paramref name="dir"/> is an index folder (a manifest beside a chunk table), complete or not.</summary>
    public static bool IsIndexFolder(string dir) =>
        File.Exists(Path.Combine(dir, ChunkIndexFiles.Manifest)) && File.Exists(Path.Combine(dir, ChunkIndexFiles.ChunkTable));

    /// <summary>True when <paramref name="dir"/> holds a completed index (its manifest is written last).</summary>
    public static bool Exists(string dir) => File.Exists(Path.Combine(dir, ChunkIndexFiles.Manifest));

    /// <summary>Opens an index folder, checking format version and (when <paramref name="verify"/>) every file's checksum.</summary>
    /// <remarks>Verifying hashes every file (seconds for a large index), on up to <paramref name="threads"/> threads, a file
    /// per thread; <paramref name="ct"/> stops it between blocks. A file that <see cref="VerifiedFiles"/> records as
    /// hashed whole and unchanged since is not hashed again, unless <paramref name="rehash"/>.</remarks>
    public static ChunkIndex Open(string dir, bool verify = true, CancellationToken ct = default, int threads = 1, bool rehash = false) =>
        OpenFolder(dir, verify, ct, threads, rehash, searchable: true);

    /// <summary>
    /// Opens an index folder for its documents and chunk texts only, unverified: no vectors and no BM25 index, whose
    /// term table costs milliseconds to sample. For choosing meta-documents beside the run's own, verified opening
    /// (which searches); <see cref="Vectors"/> throws and <see cref="Lexical"/> is null.
    /// </summary>
    internal static ChunkIndex OpenDocuments(string dir, CancellationToken ct = default) =>
        OpenFolder(dir, verify: false, ct, threads: 1, rehash: false, searchable: false);

    private static ChunkIndex OpenFolder(string dir, bool verify, CancellationToken ct, int threads, bool rehash, bool searchable)
    {
        string manifestPath = Path.Combine(dir, ChunkIndexFiles.Manifest);
        if (!File.Exists(manifestPath))
        {
            string hint = System.IO.Directory.Exists(dir + ".partial") ? $" (an unfinished build is in {dir}.partial; rerun `nextlong index`)" : "";
            throw new FileNotFoundException($"{dir}: no index here: manifest.json is missing{hint}", manifestPath);
        }
        var manifest = IndexManifest.Read(manifestPath);
        if (manifest.FormatVersion != IndexManifest.CurrentFormatVersion)
            throw new InvalidDataException($"{dir}: index format version {manifest.FormatVersion}, this build reads {IndexManifest.CurrentFormatVersion}; rebuild it with `nextlong index`");
        bool approximate = IvfSpec.IsIvf(manifest.IndexSpec);
        Retrieval.RetrieverKind retriever;
        try { retriever = Retrieval.RetrieverKinds.Parse(manifest.Retriever); }
        catch (ArgumentException e) { throw new InvalidDataException($"{dir}: manifest.json: {e.Message}; this build is older than the index", e); }
        // Beside the documents, an opening that searches reads what its retriever searches with.
        bool readsVectors = searchable && retriever.NeedsVectors(), readsLexical = searchable && retriever.NeedsLexical();
        var files = ChunkIndexFiles.DataFiles.Where(f => f != ChunkIndexFiles.Vectors || readsVectors);
        if (approximate && searchable) files = files.Append(ChunkIndexFiles.ApproximateVectors);
        // Indexes built before documents could be served from them lack these two; their manifest names neither.
        if (manifest.FileChecksums.ContainsKey(ChunkIndexFiles.DocumentOrigins)) files = files.Append(ChunkIndexFiles.DocumentOrigins).Append(ChunkIndexFiles.DocumentGaps);
        if (readsLexical) files = files.Append(ChunkIndexFiles.Lexical);
        var names = files.ToList();
        foreach (var file in names)
        {
            string path = Path.Combine(dir, file);
            if (!File.Exists(path)) throw new FileNotFoundException($"{dir}: index file {file} is missing; rebuild the index with `nextlong index --overwrite`", path);
        }
        // Each file is opened once: checked by reading through the handle its mapping is made from, then read through
        // that mapping, so the bytes checked are those of the file the index reads.
        var mapped = new Dictionary<string, MappedFile>();
        try
        {
            foreach (var name in names) mapped[name] = new MappedFile(Path.Combine(dir, name));
            if (verify)
            {
                // Largest files first, so that threads finish together; the first differing file in order is reported.
                var differs = new bool[names.Count];
                var largestFirst = Enumerable.Range(0, names.Count).OrderByDescending(i => mapped[names[i]].Length).ToArray();
                var verified = VerifiedFiles.Load(dir);
                try
                {
                    Parallel.For(0, largestFirst.Length, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads), CancellationToken = ct }, i =>
                    {
                        int f = largestFirst[i];
                        if (!manifest.FileChecksums.TryGetValue(names[f], out var recorded)) return;
                        var file = mapped[names[f]];
                        differs[f] = !verified.Confirms(file, names[f], recorded, rehash, () => FileChecksum.Matches(file, recorded, ct));
                    });
                }
                catch (AggregateException e) when (e.InnerExceptions.FirstOrDefault(x => x is IOException) is { } io)
                {
                    // A file changed under the check (FileChecksum.Append): its one-line error, not the loop's wrapper.
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(io);
                }
                verified.Save();
                for (int f = 0; f < names.Count; f++)
                    if (differs[f])
                        throw new InvalidDataException($"{Path.Combine(dir, names[f])}: checksum differs from manifest.json; the index is corrupt or was modified");
            }
            // The vector files were just verified as a whole; skip their own payload checks.
            IVectorIndex? vectors = !readsVectors ? null
                : approximate ? IvfIndexFile.Open(Path.Combine(dir, ChunkIndexFiles.ApproximateVectors), verifyChecksum: false)
                : VectorIndexFile.Open(Path.Combine(dir, ChunkIndexFiles.Vectors), verifyChecksum: false);
            var index = new ChunkIndex(dir, manifest, vectors, mapped, searchable);
            // The IVF file is read through its own mapping (IvfIndexFile): this one only served the check.
            if (mapped.Remove(ChunkIndexFiles.ApproximateVectors, out var ivf)) ivf.Dispose();
            return index;
        }
        catch
        {
            foreach (var file in mapped.Values) file.Dispose();
            throw;
        }
    }

    /// <summary>Where chunk <paramref name="id"/> (0 to <see cref="ChunkCount"/> − 1) came from: its document, ordinal there and character range.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a chunk of this index.</exception>
    public ChunkRecord Chunk(long id)
    {
        var r = _chunks.Span(ValidChunk(id) * ChunkIndexFiles.ChunkRecordBytes, ChunkIndexFiles.ChunkRecordBytes);
        int doc = BinaryPrimitives.ReadInt32LittleEndian(r[12..]);
        long first = BinaryPrimitives.ReadInt64LittleEndian(DocumentSpan(doc)[16..]);
        return new ChunkRecord(doc, (int)(id - first), BinaryPrimitives.ReadInt32LittleEndian(r[16..]), BinaryPrimitives.ReadInt32LittleEndian(r[20..]));
    }

    /// <summary>The text of chunk <paramref name="id"/> (0 to <see cref="ChunkCount"/> − 1), as chunked from its prepared document.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a chunk of this index.</exception>
    public string ChunkText(long id)
    {
        return Encoding.UTF8.GetString(ChunkUtf8(id));
    }

    /// <summary>Chunk <paramref name="id"/>'s distinct word 5-gram hashes, sorted (<see cref="Chunking.Shingles"/>), read in place.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a chunk of this index.</exception>
    public ReadOnlySpan<ulong> ChunkShingles(long id)
    {
        long start = ShingleOffset(ValidChunk(id)), end = ShingleOffset(id + 1);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(_shingles.Span(start * sizeof(ulong), checked((int)((end - start) * sizeof(ulong)))));
    }

    // A caller's bad id is the caller's error, not a corrupt file (which is what an out-of-file read would report).
    private long ValidChunk(long id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, ChunkCount);
        return id;
    }

    private long ShingleOffset(long id) => BinaryPrimitives.ReadInt64LittleEndian(_shingleOffsets.Span(id * sizeof(ulong), sizeof(ulong)));

    /// <summary>Document <paramref name="doc"/>'s id, source name and chunk id range.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="doc"/> is not in [0, <see cref="DocumentCount"/>).</exception>
    public DocumentRecord Document(int doc)
    {
        var r = DocumentSpan(doc);
        string id = Encoding.UTF8.GetString(_ids.Span(BinaryPrimitives.ReadInt64LittleEndian(r[8..]), BinaryPrimitives.ReadInt32LittleEndian(r[24..])));
        int source = BinaryPrimitives.ReadInt32LittleEndian(r[32..]);
        return new DocumentRecord(id, Manifest.Sources[source].Name, BinaryPrimitives.ReadInt64LittleEndian(r[16..]), BinaryPrimitives.ReadInt32LittleEndian(r[28..]));
    }

    /// <summary>The index (into the manifest's sources) of the source a document came from.</summary>
    public int DocumentSourceIndex(int doc) => BinaryPrimitives.ReadInt32LittleEndian(DocumentSpan(doc)[32..]);

    private ReadOnlySpan<byte> DocumentSpan(int doc)
    {
        if ((uint)doc >= (uint)DocumentCount) throw new ArgumentOutOfRangeException(nameof(doc), $"document {doc} is not in the index ({DocumentCount} documents)");
        return _docs.Span((long)doc * ChunkIndexFiles.DocumentRecordBytes, ChunkIndexFiles.DocumentRecordBytes);
    }

    /// <summary>Finds an indexed document by id (the first, when a corpus repeats an id).</summary>
    public bool TryFindDocument(string id, out int doc)
    {
        doc = FindDocuments(id).DefaultIfEmpty(-1).First();
        return doc >= 0;
    }

    /// <summary>Every indexed document with this id, in index order (binary search over the sorted keys, then exact comparison).</summary>
    public IEnumerable<int> FindDocuments(string id)
    {
        ulong key = ChunkIndexFiles.KeyOf(id);
        long lo = 0, hi = DocumentCount - 1;
        while (lo <= hi)
        {
            long mid = (lo + hi) >>> 1;
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(_keys.Span(mid * ChunkIndexFiles.KeyRecordBytes, 8));
            if (k < key) lo = mid + 1;
            else hi = mid - 1;
        }
        var found = new List<int>();
        for (long i = lo; i < DocumentCount; i++)
        {
            var r = _keys.Span(i * ChunkIndexFiles.KeyRecordBytes, ChunkIndexFiles.KeyRecordBytes);
            if (BinaryPrimitives.ReadUInt64LittleEndian(r) != key) break;
            int candidate = BinaryPrimitives.ReadInt32LittleEndian(r[8..]);
            if (Document(candidate).Id == id) found.Add(candidate);
        }
        found.Sort();
        return found;
    }

    /// <summary>Whether the index holds each document's origin and the text outside its chunks, so that
    /// <see cref="PreparedText"/> can give documents back (indexes built before these files cannot).</summary>
    public bool HoldsDocumentTexts => _origins is not null;

    /// <summary>Where document <paramref name="doc"/> was read: the input file (an ordinal over the manifest's sources' files, in order) and its line or row there.</summary>
    /// <exception cref="InvalidOperationException">The index does not hold origins (<see cref="HoldsDocumentTexts"/>).</exception>
    public (int InputFile, long Record) Origin(int doc)
    {
        var r = OriginSpan(doc);
        return (BinaryPrimitives.ReadInt32LittleEndian(r[12..]), BinaryPrimitives.ReadInt64LittleEndian(r[16..]));
    }

    /// <summary>
    /// Document <paramref name="doc"/> exactly as the chunker prepared it (<see cref="Chunking.ParagraphChunker.Prepare"/>
    /// of the text read): its chunks with the text between them.
    /// </summary>
    /// <exception cref="InvalidOperationException">The index does not hold that text (<see cref="HoldsDocumentTexts"/>).</exception>
    /// <exception cref="InvalidDataException">documents.gaps does not agree with the document's chunks.</exception>
    public string PreparedText(int doc)
    {
        var record = Document(doc);
        var gaps = GapsOf(doc);
        try
        {
            return DocumentGaps.Rebuild(gaps, record.ChunkCount, i => ChunkUtf8(record.FirstChunk + i));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Directory}: document {doc} ({record.Id}): {e.Message}", e);
        }
    }

    /// <summary>Document <paramref name="doc"/>'s gaps as documents.gaps stores them (<see cref="DocumentGaps"/>).</summary>
    internal ReadOnlySpan<byte> GapsOf(int doc)
    {
        var r = OriginSpan(doc);
        return _gaps!.Span(BinaryPrimitives.ReadInt64LittleEndian(r), BinaryPrimitives.ReadInt32LittleEndian(r[8..]));
    }

    /// <summary>Document <paramref name="doc"/>'s id as stored: UTF-8, read in place.</summary>
    internal ReadOnlySpan<byte> IdUtf8(int doc)
    {
        var r = DocumentSpan(doc);
        return _ids.Span(BinaryPrimitives.ReadInt64LittleEndian(r[8..]), BinaryPrimitives.ReadInt32LittleEndian(r[24..]));
    }

    /// <summary>Characters of chunk <paramref name="id"/> as <see cref="TextLength.Of"/> counts them in its text (Unicode
    /// scalar values), read from its UTF-8 without decoding it: every byte but a continuation byte starts one.</summary>
    internal int ChunkScalarCount(long id)
    {
        int scalars = 0;
        foreach (byte b in ChunkUtf8(id))
            if ((b & 0xC0) != 0x80) scalars++;
        return scalars;
    }

    /// <summary>Chunk <paramref name="id"/>'s text as UTF-8, read in place (<see cref="ChunkText"/> decodes it).</summary>
    internal ReadOnlySpan<byte> ChunkUtf8(long id)
    {
        var r = _chunks.Span(ValidChunk(id) * ChunkIndexFiles.ChunkRecordBytes, ChunkIndexFiles.ChunkRecordBytes);
        return _text.Span(BinaryPrimitives.ReadInt64LittleEndian(r), BinaryPrimitives.ReadInt32LittleEndian(r[8..]));
    }

    private ReadOnlySpan<byte> OriginSpan(int doc)
    {
        if (_origins is null) throw new InvalidOperationException($"{Directory}: this index does not hold its documents' texts (built before they were kept); rebuild it with `nextlong index --overwrite`");
        if ((uint)doc >= (uint)DocumentCount) throw new ArgumentOutOfRangeException(nameof(doc), $"document {doc} is not in the index ({DocumentCount} documents)");
        return _origins.Span((long)doc * ChunkIndexFiles.OriginRecordBytes, ChunkIndexFiles.OriginRecordBytes);
    }

    /// <summary>
    /// Document <paramref name="doc"/>'s text, as the baselines concatenate it: exactly as the chunker prepared it
    /// (<see cref="PreparedText"/>) where the index holds the text between chunks; from an index built before it did,
    /// its chunks with one newline between them (the original up to the whitespace at chunk boundaries).
    /// </summary>
    public string DocumentText(int doc)
    {
        if (HoldsDocumentTexts) return PreparedText(doc);
        var record = Document(doc);
        var parts = new string[record.ChunkCount];
        for (int i = 0; i < parts.Length; i++) parts[i] = ChunkText(record.FirstChunk + i);
        return string.Join('\n', parts);
    }

    /// <summary>The chunks' mean length in UTF-8 bytes (at least their mean length in characters): what a negative adds, on average.</summary>
    internal double MeanChunkBytes => ChunkCount == 0 ? 0 : (double)_text.Length / ChunkCount;

    /// <summary>Copies chunk <paramref name="id"/>'s stored vector into <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is not a chunk of this index.</exception>
    public void ReadVector(long id, Span<float> destination)
    {
        int d = Vectors.Dimension;
        var bytes = _vectors!.Span(VectorIndexFile.HeaderBytes + ValidChunk(id) * d * sizeof(float), d * sizeof(float));
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).CopyTo(destination);
    }

    /// <summary>
    /// Unmaps every index file and closes the vector and lexical indexes; spans read from the index are invalid
    /// afterwards. Only the first call does anything, so a run may release the index early and still dispose it.
    /// </summary>
    public void Dispose() => Dispose(alongside: null);

    /// <summary>
    /// <see cref="Dispose()"/> on two threads, the second also running <paramref name="alongside"/> (another
    /// mapping's release): unmapping a large index that a run has read all over is page-table teardown, tens of
    /// milliseconds on one core at the end of a run, and the kernel tears down separate mappings side by side.
    /// </summary>
    internal void Dispose(Action? alongside)
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            alongside?.Invoke();
            return;
        }
        // A thread of its own: a pool thread may be a while coming at the end of a run, and this one waits for it.
        var beside = Task.Factory.StartNew(() =>
        {
            alongside?.Invoke();
            _shingles.Dispose();
            _vectorIndex?.Dispose();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            Lexical?.Dispose();
            foreach (var f in new[] { _text, _chunks, _ids, _docs, _keys, _shingleOffsets, _vectors, _origins, _gaps }) f?.Dispose();
        }
        finally
        {
            beside.GetAwaiter().GetResult();
        }
    }
}
