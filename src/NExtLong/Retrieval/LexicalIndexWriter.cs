using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace NExtLong.Retrieval;

/// <summary>
/// Writes lexical.bm25 from chunk texts in chunk id order. Postings collect in memory until
/// <see cref="BufferBytes"/>, then spill to a segment file (the same format over a range of chunks);
/// <see cref="Complete"/> merges the segments, so memory stays bounded by the buffer and the vocabulary. A
/// distributed merge hands in the pieces' finished files as segments (<see cref="AddSegment"/>): since the file is
/// a function of the chunks alone, every path gives the same bytes.
/// </summary>
internal sealed class LexicalIndexWriter : IDisposable
{
    /// <summary>Memory the buffered postings may take (their arrays' capacity) before a spill; postings take about 2–3 bytes each.</summary>
    public const long DefaultBufferBytes = 256L << 20;

    private readonly string _path;
    private readonly Bm25Analyzer _analyzer;
    private readonly List<(string Path, bool Temporary)> _segments = [];
    private readonly Dictionary<string, int> _termIds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly char[] _term = new char[Bm25Analyzer.MaxTermChars + 2];
    private byte[][] _postings = [];
    private int[] _postingBytes = [], _lastDoc = [], _df = [], _tf = [], _touched = [];
    private byte[] _norms = new byte[1024];
    private int _buffered;
    private long _bufferedCapacity, _sumLengths, _chunks;
    private bool _completed;

    public LexicalIndexWriter(string path, Bm25Settings settings, long bufferBytes = DefaultBufferBytes)
    {
        _path = path;
        _analyzer = new Bm25Analyzer(settings);
        BufferBytes = bufferBytes;
        _lookup = _termIds.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public long BufferBytes { get; }

    public long ChunkCount => _chunks;

    /// <summary>Analyzes the next chunk (id = chunks added so far) and records its postings and length.</summary>
    public void Add(ReadOnlySpan<char> text)
    {
        int position = 0, length, tokens = 0, touched = 0;
        while ((length = _analyzer.Next(text, ref position, _term)) >= 0)
        {
            var term = _term.AsSpan(0, length);
            if (!_lookup.TryGetValue(term, out int t))
            {
                t = _termIds.Count;
                _lookup[term] = t;
                Grow(t + 1);
            }
            if (_tf[t]++ == 0)
            {
                if (touched == _touched.Length) Array.Resize(ref _touched, Math.Max(64, touched * 2));
                _touched[touched++] = t;
            }
            tokens++;
        }
        int doc = _buffered;
        Span<byte> pair = stackalloc byte[10];
        for (int i = 0; i < touched; i++)
        {
            int t = _touched[i];
            int n = LexicalIndexFile.WriteVarint(pair, (uint)(doc - _lastDoc[t]));
            n += LexicalIndexFile.WriteVarint(pair[n..], (uint)_tf[t]);
            if (_postingBytes[t] + n > _postings[t].Length)
            {
                int grown = Math.Max(16, _postings[t].Length * 2);
                _bufferedCapacity += grown - _postings[t].Length;
                Array.Resize(ref _postings[t], grown);
            }
            pair[..n].CopyTo(_postings[t].AsSpan(_postingBytes[t]));
            _postingBytes[t] += n;
            _lastDoc[t] = doc;
            _df[t]++;
            _tf[t] = 0;
        }
        if (_buffered == _norms.Length) Array.Resize(ref _norms, _norms.Length * 2);
        _norms[_buffered++] = Bm25Norms.Encode(tokens);
        _sumLengths += tokens;
        _chunks++;
        if (_bufferedCapacity >= BufferBytes) Spill();
    }

    /// <summary>Appends a finished lexical file (a piece's) as the next chunks; it must have been built with the same analyzer.</summary>
    public void AddSegment(string path)
    {
        Spill();
        using (var segment = LexicalIndex.Open(path, new Bm25Settings(), ReadChunkCount(path))) _chunks += segment.ChunkCount;
        _segments.Add((path, false));
    }

    /// <summary>Merges everything added into the file at the path given; the segments spilled on the way are deleted.</summary>
    public void Complete(CancellationToken ct = default)
    {
        Spill();
        Merge(_segments.Select(s => s.Path).ToList(), _path, ct);
        DeleteTemporary();
        _completed = true;
    }

    private static long ReadChunkCount(string path)
    {
        Span<byte> h = stackalloc byte[LexicalIndexFile.HeaderBytes];
        using (var f = File.OpenRead(path)) f.ReadExactly(h);
        return LexicalIndexFile.Header.Read(h, path).Chunks;
    }

    private void Grow(int terms)
    {
        if (terms <= _df.Length) return;
        int size = Math.Max(1024, _df.Length * 2);
        Array.Resize(ref _postings, size);
        Array.Resize(ref _postingBytes, size);
        Array.Resize(ref _lastDoc, size);
        Array.Resize(ref _df, size);
        Array.Resize(ref _tf, size);
        for (int i = terms - 1; i < size; i++) _postings[i] ??= [];
    }

    // Writes the buffered chunks as a segment file and starts an empty buffer.
    private void Spill()
    {
        if (_buffered == 0) return;
        string path = $"{_path}.segment-{_segments.Count:D5}.tmp";
        var terms = _termIds.Select(p => (Bytes: Encoding.UTF8.GetBytes(p.Key), Id: p.Value)).ToArray();
        Array.Sort(terms, static (a, b) => a.Bytes.AsSpan().SequenceCompareTo(b.Bytes));
        using (var output = new Output(path))
        {
            output.Write(_norms.AsSpan(0, _buffered));
            var table = new List<(long Postings, int Df)>(terms.Length);
            foreach (var (_, id) in terms)
            {
                table.Add((output.PostingsWritten, _df[id]));
                output.WritePostings(_postings[id].AsSpan(0, _postingBytes[id]));
            }
            output.Finish(_buffered, _sumLengths, table, terms.Select(t => t.Bytes));
        }
        _segments.Add((path, true));
        // The arrays go with the terms: a buffer sized by one stretch of the corpus is not held through the next.
        Array.Fill(_postings, []);
        _termIds.Clear();
        Array.Clear(_postingBytes);
        Array.Clear(_lastDoc);
        Array.Clear(_df);
        _buffered = 0;
        _bufferedCapacity = 0;
        _sumLengths = 0;
    }

    /// <summary>Merges lexical files covering consecutive chunk ranges, in order, into one over all their chunks.</summary>
    public static void Merge(IReadOnlyList<string> segments, string path, CancellationToken ct = default)
    {
        var readers = new List<LexicalIndex>(segments.Count);
        try
        {
            foreach (string s in segments) readers.Add(LexicalIndex.Open(s, new Bm25Settings(), ReadChunkCount(s)));
            var bases = new long[readers.Count];
            for (int i = 1; i < readers.Count; i++) bases[i] = bases[i - 1] + readers[i - 1].ChunkCount;
            long chunks = readers.Sum(r => r.ChunkCount);
            if (chunks > int.MaxValue) throw new InvalidOperationException($"{path}: {chunks} chunks; the lexical index holds at most {int.MaxValue}");
            using var output = new Output(path + ".tmp");
            foreach (var r in readers) output.Write(r.Norms);
            var table = new List<(long Postings, int Df)>();
            var termBytes = new List<byte[]>();
            // k-way merge of the sorted term lists; equal terms come out in segment order.
            var next = new int[readers.Count];
            var heap = new PriorityQueue<int, int>(Comparer<int>.Create((a, b) =>
            {
                int c = readers[a].TermBytes(next[a]).SequenceCompareTo(readers[b].TermBytes(next[b]));
                return c != 0 ? c : a.CompareTo(b);
            }));
            for (int i = 0; i < readers.Count; i++)
                if (readers[i].TermCount > 0) heap.Enqueue(i, i);
            var buffer = new byte[1 << 16];
            var same = new List<int>();
            while (heap.Count > 0)
            {
                ct.ThrowIfCancellationRequested();
                same.Clear();
                same.Add(heap.Dequeue());
                var term = readers[same[0]].TermBytes(next[same[0]]).ToArray();
                while (heap.Count > 0 && readers[heap.Peek()].TermBytes(next[heap.Peek()]).SequenceEqual(term)) same.Add(heap.Dequeue());
                table.Add((output.PostingsWritten, same.Sum(s => readers[s].DocFreq(next[s]))));
                termBytes.Add(term);
                long previous = 0;
                foreach (int s in same)
                {
                    // Only a segment's first gap changes (it counted from the segment's chunk 0); the rest is copied.
                    var postings = readers[s].Postings(next[s]);
                    int position = 0;
                    long first = bases[s] + LexicalIndexFile.ReadVarint(postings, ref position);
                    int n = LexicalIndexFile.WriteVarint(buffer, (uint)(first - previous));
                    output.WritePostings(buffer.AsSpan(0, n));
                    long last = first;
                    int rest = position;
                    LexicalIndexFile.ReadVarint(postings, ref position);
                    while (position < postings.Length)
                    {
                        last += LexicalIndexFile.ReadVarint(postings, ref position);
                        LexicalIndexFile.ReadVarint(postings, ref position);
                    }
                    output.WritePostings(postings[rest..]);
                    previous = last;
                    if (++next[s] < readers[s].TermCount) heap.Enqueue(s, s);
                }
            }
            output.Finish(chunks, readers.Sum(r => r.SumLengths), table, termBytes);
        }
        finally
        {
            foreach (var r in readers) r.Dispose();
        }
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private void DeleteTemporary()
    {
        foreach (var (path, temporary) in _segments)
            if (temporary) File.Delete(path);
    }

    public void Dispose()
    {
        if (!_completed) DeleteTemporary();
    }

    /// <summary>Writes a lexical file front to back, hashing the payload; the header goes in last.</summary>
    private sealed class Output : IDisposable
    {
        private readonly FileStream _stream;
        private readonly BufferedStream _buffered;
        private readonly XxHash64 _hash = new();
        private long _postingsStart = -1;

        public Output(string path)
        {
            _stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None);
            _buffered = new BufferedStream(_stream, 1 << 20);
            _buffered.Write(new byte[LexicalIndexFile.HeaderBytes]);
        }

        public long PostingsWritten => _postingsStart < 0 ? 0 : _buffered.Position - _postingsStart;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            _hash.Append(bytes);
            _buffered.Write(bytes);
        }

        public void WritePostings(ReadOnlySpan<byte> bytes)
        {
            if (_postingsStart < 0) _postingsStart = _buffered.Position;
            Write(bytes);
        }

        public void Finish(long chunks, long sumLengths, List<(long Postings, int Df)> table, IEnumerable<byte[]> termBytes)
        {
            long postingsEnd = PostingsWritten;
            long tableOffset = _buffered.Position;
            Span<byte> entry = stackalloc byte[LexicalIndexFile.TableEntryBytes];
            var terms = termBytes.ToList();
            uint termOffset = 0;
            for (int i = 0; i <= table.Count; i++)
            {
                entry.Clear();
                BinaryPrimitives.WriteInt64LittleEndian(entry, i < table.Count ? table[i].Postings : postingsEnd);
                BinaryPrimitives.WriteInt32LittleEndian(entry[8..], i < table.Count ? table[i].Df : 0);
                BinaryPrimitives.WriteUInt32LittleEndian(entry[12..], termOffset);
                Write(entry);
                if (i < table.Count) termOffset = checked(termOffset + (uint)terms[i].Length);
            }
            long termBytesOffset = _buffered.Position;
            foreach (var t in terms) Write(t);
            _buffered.Flush();
            Span<byte> header = stackalloc byte[LexicalIndexFile.HeaderBytes];
            new LexicalIndexFile.Header(chunks, table.Count, sumLengths, tableOffset, termBytesOffset, _hash.GetCurrentHashAsUInt64()).Write(header);
            _stream.Position = 0;
            _stream.Write(header);
        }

        public void Dispose()
        {
            _buffered.Dispose();
            _stream.Dispose();
        }
    }
}
