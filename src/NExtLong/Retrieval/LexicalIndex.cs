using System.Buffers.Binary;
using System.Text;
using NExtLong.Index;

namespace NExtLong.Retrieval;

/// <summary>
/// The BM25 side of an index folder (lexical.bm25, <see cref="LexicalIndexFile"/>), memory-mapped. Scores are
/// Lucene 4.8's BM25Similarity to the bit: idf = ln(1 + (N − df + 0.5)/(df + 0.5)), avgdl = Σ lengths / N, lengths
/// as one-byte norms, each term's score w·tf/(tf + k1·(1 − b + b·dl/avgdl)) with w = idf·(k1 + 1), and a chunk's
/// terms summed in double in the order Lucene's BooleanScorer adds them, so that the engine returns Lucene's top-k
/// (checked in tests and docs/RETRIEVAL.md).
/// </summary>
public sealed unsafe class LexicalIndex : IDisposable
{
    private readonly MappedFile _file;
    private readonly LexicalIndexFile.Header _header;
    private readonly float[] _lengthCache = new float[256];
    // The first 8 bytes (big-endian, zero-padded) of every SampleEvery-th term: a query term's binary search starts in
    // memory and ends among a few dozen terms, instead of twenty probes of the mapped term table.
    private readonly ulong[] _sampledPrefixes;
    private const int SampleEvery = 32;
    // A view with other scoring settings (WithScoring) reads the file of the index it came from, which closes it.
    private readonly bool _ownsFile;

    private LexicalIndex(MappedFile file, LexicalIndexFile.Header header, Bm25Settings settings, bool ownsFile = true)
    {
        _file = file;
        _ownsFile = ownsFile;
        _header = header;
        Settings = settings;
        Analyzer = new Bm25Analyzer(settings);
        _sampledPrefixes = new ulong[(int)((header.Terms + SampleEvery - 1) / SampleEvery)];
        for (int i = 0; i < _sampledPrefixes.Length; i++) _sampledPrefixes[i] = Prefix(TermBytes(i * SampleEvery));
        float avgdl = header.SumLengths <= 0 ? 1f : (float)(header.SumLengths / (double)header.Chunks);
        for (int i = 0; i < 256; i++) _lengthCache[i] = settings.K1 * ((1 - settings.B) + settings.B * Bm25Norms.DecodeLength((byte)i) / avgdl);
    }

    /// <summary>The lexical.bm25 file.</summary>
    public string Path => _file.Path;

    /// <summary>The analyzer and BM25 parameters searches use: those the index was built with (from the manifest), or a <see cref="WithScoring"/> view's.</summary>
    public Bm25Settings Settings { get; }

    internal Bm25Analyzer Analyzer { get; }

    /// <summary>Chunks indexed: the index's chunk count, ids 0 to <c>ChunkCount - 1</c>.</summary>
    public long ChunkCount => _header.Chunks;

    /// <summary>Distinct terms; term numbers 0 to <c>TermCount - 1</c> follow the terms' UTF-8 bytes in ordinal order.</summary>
    public int TermCount => (int)_header.Terms;

    /// <summary>The chunks' lengths in analyzed terms, all together; avgdl is this over <see cref="ChunkCount"/>.</summary>
    public long SumLengths => _header.SumLengths;

    /// <summary>Opens lexical.bm25 for <paramref name="expectedChunks"/> chunks, checking its header and layout (the manifest's checksum covers its bytes).</summary>
    public static LexicalIndex Open(string path, Bm25Settings settings, long expectedChunks) => Open(new MappedFile(path), settings, expectedChunks);

    /// <summary>As <see cref="Open(string, Bm25Settings, long)"/>, over lexical.bm25 already mapped; the index owns (and on failure disposes) it.</summary>
    internal static LexicalIndex Open(MappedFile file, Bm25Settings settings, long expectedChunks)
    {
        string path = file.Path;
        try
        {
            var header = LexicalIndexFile.Header.Read(file.Length >= LexicalIndexFile.HeaderBytes ? file.Span(0, LexicalIndexFile.HeaderBytes) : [], path);
            if (header.Chunks != expectedChunks)
                throw new InvalidDataException($"{path}: holds {header.Chunks} chunks, the index {expectedChunks}; the index is corrupt or mixed from two builds");
            if (header.Terms is < 0 or > int.MaxValue || header.TableOffset < header.PostingsOffset
                || header.TermBytesOffset != header.TableOffset + (header.Terms + 1) * LexicalIndexFile.TableEntryBytes || header.TermBytesOffset > file.Length)
                throw new InvalidDataException($"{path}: inconsistent lexical index header; the index is corrupt");
            return new LexicalIndex(file, header, settings);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The chunks' one-byte norms (encoded lengths), chunk id order.</summary>
    public ReadOnlySpan<byte> Norms => _file.Span(LexicalIndexFile.HeaderBytes, (int)_header.Chunks);

    /// <summary>The number of chunks that hold term number <paramref name="term"/> (df in idf).</summary>
    public int DocFreq(int term) => BinaryPrimitives.ReadInt32LittleEndian(Entry(term)[8..]);

    /// <summary>Term number <paramref name="term"/>'s UTF-8 bytes, read in place.</summary>
    public ReadOnlySpan<byte> TermBytes(int term)
    {
        uint start = BinaryPrimitives.ReadUInt32LittleEndian(Entry(term)[12..]), end = BinaryPrimitives.ReadUInt32LittleEndian(Entry(term + 1)[12..]);
        return _file.Span(_header.TermBytesOffset + start, (int)(end - start));
    }

    /// <summary>Term number <paramref name="term"/> as a string.</summary>
    public string Term(int term) => Encoding.UTF8.GetString(TermBytes(term));

    /// <summary>
    /// Term number <paramref name="term"/>'s postings, read in place: varint pairs (chunk id minus the previous one,
    /// from 0; term frequency) in chunk order, <see cref="DocFreq"/> pairs in all.
    /// </summary>
    public ReadOnlySpan<byte> Postings(int term)
    {
        long start = BinaryPrimitives.ReadInt64LittleEndian(Entry(term)), end = BinaryPrimitives.ReadInt64LittleEndian(Entry(term + 1));
        return _file.Span(_header.PostingsOffset + start, checked((int)(end - start)));
    }

    private ReadOnlySpan<byte> Entry(int term) => _file.Span(_header.TableOffset + (long)term * LexicalIndexFile.TableEntryBytes, LexicalIndexFile.TableEntryBytes);

    /// <summary>The term's number (its rank in byte order), or -1 when no chunk has it.</summary>
    public int Find(ReadOnlySpan<byte> utf8)
    {
        // Terms are in byte order, so a smaller prefix is a smaller term: the sampled terms whose prefixes are below
        // and above the query's bound where it can be; equal prefixes leave the bytes beyond to the search.
        ulong prefix = Prefix(utf8);
        var sampled = _sampledPrefixes.AsSpan();
        int below = sampled.BinarySearch(prefix);
        int first = below, last = below;
        if (below < 0) first = last = ~below;
        else
        {
            while (first > 0 && sampled[first - 1] == prefix) first--;
            while (last < sampled.Length && sampled[last] == prefix) last++;
        }
        // Sampled terms first - 1 (prefix below) and last (prefix above) lie outside; the term is between them.
        int lo = first == 0 ? 0 : (first - 1) * SampleEvery + 1;
        int hi = last >= sampled.Length ? TermCount - 1 : last * SampleEvery - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = TermBytes(mid).SequenceCompareTo(utf8);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    // A term's first 8 bytes as a big-endian number, zero-padded: the order of prefixes is the terms' byte order.
    private static ulong Prefix(ReadOnlySpan<byte> utf8)
    {
        Span<byte> head = stackalloc byte[8];
        head.Clear();
        utf8[..Math.Min(8, utf8.Length)].CopyTo(head);
        return BinaryPrimitives.ReadUInt64BigEndian(head);
    }

    /// <summary>BM25's idf of a term, as Lucene computes it.</summary>
    public float Idf(int term)
    {
        long df = DocFreq(term), n = _header.Chunks;
        return (float)Math.Log(1 + (n - df + 0.5D) / (df + 0.5D));
    }

    // A term's weight and a posting's term score, in one place: SharedPostings holds scores that Search would
    // otherwise compute, and they must be the same floats.
    private float TermWeight(int term) => Idf(term) * (Settings.K1 + 1);

    // A posting's score from its frequency and its chunk's length term k1·(1 − b + b·dl/avgdl) (_lengthCache[norm]).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static float TermScore(float weight, float tf, float length) => weight * tf / (tf + length);

    /// <summary>
    /// A text's most informative terms, best first (Lucene's MoreLikeThis: tf in the text × classic idf
    /// ln(N/(df + 1)) + 1, terms of fewer than <see cref="Bm25Settings.MinDocFreq"/> chunks left out, ties to the
    /// lower term number); returns how many were written into <paramref name="terms"/>.
    /// </summary>
    internal int QueryTerms(ReadOnlySpan<char> text, Span<int> terms, LexicalScratch scratch)
    {
        int found = 0, position = 0, length;
        Span<char> term = scratch.Term;
        Span<byte> utf8 = scratch.Utf8;
        while ((length = Analyzer.Next(text, ref position, term)) >= 0)
        {
            int t = Find(utf8[..Encoding.UTF8.GetBytes(term[..length], utf8)]);
            if (t < 0) continue;
            if (found == scratch.Found.Length) Array.Resize(ref scratch.Found, found * 2);
            scratch.Found[found++] = t;
        }
        var all = scratch.Found.AsSpan(0, found);
        all.Sort();
        if (scratch.Ranked.Length < found) scratch.Ranked = new (float, int)[Math.Max(found, 2 * scratch.Ranked.Length)];
        int distinct = 0;
        double n = _header.Chunks;
        for (int i = 0; i < found;)
        {
            int t = all[i], tf = 0;
            while (i < found && all[i] == t) { i++; tf++; }
            int df = DocFreq(t);
            if (df < Settings.MinDocFreq) continue;
            float idf = (float)(Math.Log(n / (df + 1)) + 1.0);
            scratch.Ranked[distinct++] = (tf * idf, t);
        }
        var ranked = scratch.Ranked.AsSpan(0, distinct);
        ranked.Sort(static (a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Term.CompareTo(b.Term));
        int count = Math.Min(Math.Min(distinct, Settings.QueryTerms), terms.Length);
        for (int i = 0; i < count; i++) terms[i] = ranked[i].Term;
        return count;
    }

    /// <summary>
    /// The k chunks with the highest BM25 score for the query terms, best first, ties to the lower id, skipping ids
    /// <paramref name="exclusions"/> names for <paramref name="query"/>. Chunks sharing no term score 0 and fill any
    /// places left in id order (the true top-k of the whole index), so exclusions never shorten the result; slots
    /// beyond the index hold id -1 and score -∞. Terms <paramref name="shared"/> holds are added from there
    /// (<see cref="SharedPostings"/>); the result is the same without it.
    /// </summary>
    internal void Search(ReadOnlySpan<int> terms, int k, Span<long> ids, Span<float> scores, LexicalScratch scratch,
        SearchExclusions? exclusions = null, int query = 0, SharedPostings? shared = null)
    {
        var acc = scratch.Accumulators();
        var touched = scratch.Touched;
        var cursors = scratch.Cursors(terms.Length);
        var norms = Norms;
        long chunks = _header.Chunks;
        for (int q = 0; q < terms.Length; q++)
        {
            float weight = TermWeight(terms[q]);
            if (shared is not null && shared.TryGet(terms[q], out int start, out int end))
            {
                cursors[q] = new PostingCursor(weight, start < end ? shared.Docs[start] : int.MaxValue, start, end);
                continue;
            }
            var postings = Postings(terms[q]);
            int position = 0;
            int doc = postings.IsEmpty ? int.MaxValue : (int)LexicalIndexFile.ReadVarint(postings, ref position);
            cursors[q] = new PostingCursor(weight, doc, position);
        }
        var top = new TopKCollector(k);
        // The lowest ids that share no term and are not excluded, for the places no scored chunk fills.
        Span<long> unscored = k <= 256 ? stackalloc long[k] : new long[k];
        int unscoredCount = 0;
        fixed (double* accumulators = acc)
        fixed (int* touchedChunks = touched)
        fixed (float* lengths = _lengthCache)
        fixed (byte* chunkNorms = norms)
        fixed (int* sharedDocs = shared?.Docs)
        fixed (float* sharedScores = shared?.Scores)
        {
            // Chunk ids are taken a block at a time, every term's postings resumed where the last block left them: the
            // accumulators stay a block long (in cache, and bounded whatever the index's size), and each chunk's terms
            // are still added in Lucene's order.
            for (long blockStart = 0; blockStart < chunks; blockStart += scratch.BlockChunks)
            {
                int blockEnd = (int)Math.Min(chunks, blockStart + scratch.BlockChunks), first = (int)blockStart, count = 0;
                var block = new PostingBlock(first, blockEnd, accumulators, touchedChunks, chunkNorms, lengths);
                // Lucene's BooleanScorer chains its clauses' scorers in reverse, so a chunk's clause scores are added last
                // clause first; the same order gives the same double sum.
                for (int q = terms.Length - 1; q >= 0; q--)
                {
                    ref var cursor = ref cursors[q];
                    if (cursor.Doc >= blockEnd) continue;
                    if (cursor.End >= 0)
                    {
                        count = AddShared(sharedDocs, sharedScores, ref cursor, block, count);
                        continue;
                    }
                    var postings = Postings(terms[q]);
                    fixed (byte* bytes = postings)
                        count = AddPostings(bytes, postings.Length, ref cursor, block, count);
                    if (count < 0) throw new InvalidDataException($"{Path}: term {terms[q]}'s postings name a chunk outside the index or run past their end; the index is corrupt");
                }
                for (int i = 0; i < count; i++)
                {
                    int doc = first + touchedChunks[i];
                    float score = (float)accumulators[touchedChunks[i]];
                    if (top.WouldEnter(score, doc) && exclusions?.IsExcluded(query, doc) != true) top.Push(score, doc);
                }
                for (int doc = first; unscoredCount < k && doc < blockEnd; doc++)
                    if (accumulators[doc - first] == 0 && exclusions?.IsExcluded(query, doc) != true) unscored[unscoredCount++] = doc;
                for (int i = 0; i < count; i++) accumulators[touchedChunks[i]] = 0;
            }
        }
        for (int i = 0; top.Count < k && i < unscoredCount; i++) top.Push(0f, unscored[i]);
        top.Drain(ids, scores);
    }

    /// <summary>
    /// A term's postings in block [first, blockEnd) from the cursor on, each scored (<see cref="TermScore"/>, as
    /// <see cref="Score"/> scores, so the same float) and added to its chunk's accumulator; returns the touched list's new count, or -1 for
    /// postings that cannot be (a chunk id outside the index, bytes past the term's end). The loop is what a query costs,
    /// so it is written for registers: pointers, the cursor and the block in locals, no call (the varint and
    /// <see cref="Accumulate"/> are read in line), and one unsigned test of a chunk id for both the block's end and
    /// damage, so that no write ever leaves the block's accumulators.
    /// </summary>
    private static int AddPostings(byte* postings, int length, ref PostingCursor cursor, in PostingBlock block, int count)
    {
        int doc = cursor.Doc, position = cursor.Position, first = block.First, end = block.End;
        uint span = (uint)(end - first);
        if ((uint)(doc - first) >= span) return -1;
        float weight = cursor.Weight;
        double* acc = block.Accumulators;
        int* touched = block.Touched;
        byte* norms = block.Norms;
        float* lengths = block.Lengths;
        while (true)
        {
            float tf = LexicalIndexFile.ReadVarint(postings, ref position);
            count = Accumulate(acc, touched, count, doc - first, TermScore(weight, tf, lengths[norms[doc]]));
            if (position >= length)
            {
                if (position > length) return -1;
                doc = int.MaxValue;
                break;
            }
            doc += (int)LexicalIndexFile.ReadVarint(postings, ref position);
            if ((uint)(doc - first) >= span)
            {
                // Past the block, or a gap that wrapped below it (damage).
                if (doc < end) return -1;
                break;
            }
        }
        cursor.Doc = doc;
        cursor.Position = position;
        return count;
    }

    /// <summary>The block a query is scoring and the memory its postings are added to, for <see cref="AddPostings"/>.</summary>
    private readonly struct PostingBlock(int first, int end, double* accumulators, int* touched, byte* norms, float* lengths)
    {
        public readonly int First = first, End = end;
        public readonly double* Accumulators = accumulators;
        public readonly int* Touched = touched;
        public readonly byte* Norms = norms;
        public readonly float* Lengths = lengths;
    }

    // Adds a posting's score to chunk local's accumulator and returns the touched list's new count: the list grows by a
    // chunk's first posting in the block, without a branch to mispredict (it is written one place ahead of its count).
    // The first is told by the accumulator's bits: a sum of positive scores from +0 is +0 only before it.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static int Accumulate(double* acc, int* touched, int count, int local, double score)
    {
        double sum = acc[local];
        touched[count] = local;
        acc[local] = sum + score;
        return count + (BitConverter.DoubleToInt64Bits(sum) == 0 ? 1 : 0);
    }

    // A shared term's postings in block [first, blockEnd): its held scores added as Search would add them, as
    // AddPostings adds, through pointers.
    private static int AddShared(int* docs, float* termScores, ref PostingCursor cursor, in PostingBlock block, int count)
    {
        int i = cursor.Position, end = cursor.End, doc = cursor.Doc, first = block.First, blockEnd = block.End;
        double* acc = block.Accumulators;
        int* touched = block.Touched;
        while (true)
        {
            count = Accumulate(acc, touched, count, doc - first, termScores[i]);
            if (++i == end)
            {
                doc = int.MaxValue;
                break;
            }
            doc = docs[i];
            if (doc >= blockEnd) break;
        }
        cursor.Doc = doc;
        cursor.Position = i;
        return count;
    }

    /// <summary>
    /// Term <paramref name="term"/>'s postings decoded and scored: each chunk id, and the float term score
    /// <see cref="Search"/> adds for it (by the same method, so the same float).
    /// </summary>
    internal void Score(int term, Span<int> docs, Span<float> termScores)
    {
        var postings = Postings(term);
        float weight = TermWeight(term);
        ArgumentOutOfRangeException.ThrowIfLessThan(termScores.Length, docs.Length, nameof(termScores));
        int doc = 0, position = 0, length = postings.Length, i = 0;
        // Through pointers, as AddPostings reads: a posting starts before the postings' end and names a chunk of the index.
        fixed (byte* bytes = postings)
        fixed (byte* norms = Norms)
        fixed (float* lengths = _lengthCache)
        fixed (int* chunkIds = docs)
        fixed (float* scores = termScores)
            for (; i < docs.Length && position < length; i++)
            {
                doc += (int)LexicalIndexFile.ReadVarint(bytes, ref position);
                if ((uint)doc >= (uint)_header.Chunks) throw new InvalidDataException($"{Path}: term {term}'s postings name chunk {doc}, outside the index; the index is corrupt");
                float tf = LexicalIndexFile.ReadVarint(bytes, ref position);
                chunkIds[i] = doc;
                scores[i] = TermScore(weight, tf, lengths[norms[doc]]);
            }
        if (i != docs.Length || position != length)
            throw new InvalidDataException($"{Path}: term {term}'s postings do not hold its {docs.Length} chunks; the index is corrupt");
    }

    /// <summary>Unmaps lexical.bm25; spans read from it are invalid afterwards.</summary>
    /// <summary>
    /// This index searched with <paramref name="scoring"/>'s k1, b, query term count and minimum document frequency in
    /// place of its own (the analyzer stays: the postings were made with it); this index itself when nothing changes.
    /// The view shares this index's file: dispose it first or not at all, never after this one.
    /// </summary>
    public LexicalIndex WithScoring(Bm25Scoring scoring)
    {
        var settings = scoring.Apply(Settings);
        if (settings == Settings) return this;
        settings.Validate();
        return new LexicalIndex(_file, _header, settings, ownsFile: false);
    }

    /// <summary>Closes the file (a <see cref="WithScoring"/> view leaves it to the index it came from).</summary>
    public void Dispose()
    {
        if (_ownsFile) _file.Dispose();
    }
}
