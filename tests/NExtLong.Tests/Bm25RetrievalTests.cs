using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>
/// The lexical index and BM25 retriever: scores equal BM25 computed by hand and Lucene.Net's top-k, exclusions never
/// shorten a result, the file is the same however it is built (spilled, W ranks), and a bm25 synthesis needs no
/// embedder and is the same for any thread count.
/// </summary>
public class Bm25RetrievalTests
{
    private static LexicalIndex Build(string dir, IEnumerable<string> chunks, Bm25Settings settings, long bufferBytes = LexicalIndexWriter.DefaultBufferBytes)
    {
        string path = Path.Combine(dir, $"lexical-{Guid.NewGuid():N}.bm25");
        long n = 0;
        using (var writer = new LexicalIndexWriter(path, settings, bufferBytes))
        {
            foreach (string c in chunks)
            {
                writer.Add(c);
                n++;
            }
            writer.Complete();
        }
        return LexicalIndex.Open(path, settings, n);
    }

    private static int[] Terms(LexicalIndex index, params string[] words)
        => words.Select(w => index.Find(System.Text.Encoding.UTF8.GetBytes(w))).ToArray();

    [Fact]
    public void Every_term_is_found_by_its_bytes_and_no_other_bytes_are()
    {
        // Runs of terms that share their first 8 bytes (and more) across the sampled terms' boundaries, short terms,
        // non-ASCII ones, and words of 1,000 distinct terms, so the in-memory prefixes bound many searches.
        var random = new Random(5);
        var words = new SortedSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < 300; i++) words.Add($"internationalisation{i}");
        for (int i = 0; i < 100; i++) words.Add($"interna{(char)('a' + i % 26)}{i}");
        for (int i = 0; i < 1000; i++) words.Add(new string([.. Enumerable.Range(0, random.Next(1, 12)).Select(_ => (char)random.Next('a', 'z' + 1))]));
        foreach (string w in new[] { "a", "b", "z", "zz", "zzzzzzzzzzzz", "école", "écoles", "naïve", "日本語" }) words.Add(w);
        using var index = Build(TempDir.Create(), words.Chunk(7).Select(c => string.Join(' ', c)), new Bm25Settings { StopWords = false });
        var terms = Enumerable.Range(0, index.TermCount).Select(index.Term).ToHashSet(StringComparer.Ordinal);
        Assert.True(index.TermCount > 1300, $"{index.TermCount} terms");
        Assert.Contains("internationalisation299", terms);
        for (int t = 0; t < index.TermCount; t++)
            Assert.Equal(t, index.Find(index.TermBytes(t)));
        string[] misses = ["", "0", "aa0", "internationalisation", "internationalisation1000", "interna", "internaz", "zzzzzzzzzzzzz", "{", "écol",
            .. terms.Take(200).Select(t => t + "\u0001"), .. terms.Take(200).Select(t => t[..^1])];
        foreach (string w in misses)
            if (!terms.Contains(w)) Assert.Equal(-1, index.Find(System.Text.Encoding.UTF8.GetBytes(w)));
    }

    [Fact]
    public void Scores_equal_BM25_computed_directly_on_a_tiny_corpus()
    {
        // Lengths 1, 4 and 16 tokens: 1/√len is a power of two, which the one-byte norm stores exactly.
        string[] chunks =
        [
            "apple",
            "apple banana apple cherry",
            "banana cherry cherry date elder fig grape honey kiwi lemon mango nut olive pear quince rice",
        ];
        foreach (int len in new[] { 1, 4, 16 }) Assert.Equal(len, Bm25Norms.DecodeLength(Bm25Norms.Encode(len)));
        var settings = new Bm25Settings();
        using var index = Build(TempDir.Create(), chunks, settings);
        int[] lengths = [1, 4, 16];
        double avgdl = lengths.Average(), n = chunks.Length;
        string[] query = ["apple", "cherry"];
        var expected = new double[chunks.Length];
        foreach (string term in query)
        {
            var tfs = chunks.Select(c => c.Split(' ').Count(w => w == term)).ToArray();
            int df = tfs.Count(tf => tf > 0);
            double idf = Math.Log(1 + (n - df + 0.5) / (df + 0.5));
            for (int d = 0; d < chunks.Length; d++)
                expected[d] += idf * tfs[d] * (settings.K1 + 1) / (tfs[d] + settings.K1 * (1 - settings.B + settings.B * lengths[d] / avgdl));
        }
        var ids = new long[3];
        var scores = new float[3];
        index.Search(Terms(index, query), 3, ids, scores, new LexicalScratch());
        var order = Enumerable.Range(0, 3).OrderByDescending(d => expected[d]).ToArray();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(order[i], ids[i]);
            Assert.Equal(expected[order[i]], scores[i], 5);
        }
    }

    // Blocks of 7 and 64 chunk ids score the 1,500 chunks in many blocks (every term's postings resumed across them);
    // the default block holds them all.
    [Theory]
    [InlineData(1, LexicalScratch.DefaultBlockChunks)]
    [InlineData(2, LexicalScratch.DefaultBlockChunks)]
    [InlineData(3, LexicalScratch.DefaultBlockChunks)]
    [InlineData(1, 64)]
    [InlineData(2, 7)]
    public void Our_engine_returns_Lucene_top_k_on_random_corpora(int seed, int blockChunks)
    {
        var random = new Random(seed);
        // A Zipf-like vocabulary, so some terms are in most chunks and some in few; lengths vary a hundredfold.
        var vocabulary = Enumerable.Range(0, 400).Select(i => $"w{i}x").ToArray();
        string Word() => vocabulary[(int)Math.Min(vocabulary.Length - 1, Math.Floor(Math.Pow(random.NextDouble(), 3) * vocabulary.Length))];
        var chunks = Enumerable.Range(0, 1500).Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(1, 200)).Select(_ => Word()))).ToList();
        var settings = new Bm25Settings { QueryTerms = 16 + seed * 8 };
        using var ours = Build(TempDir.Create(), chunks, settings);
        using var lucene = new LuceneReference(new Lucene.Net.Store.RAMDirectory(), chunks, settings);
        var scratch = new LexicalScratch(blockChunks);
        var terms = new int[settings.QueryTerms];
        const int k = 100;
        var ids = new long[k];
        var scores = new float[k];
        for (int q = 0; q < 50; q++)
        {
            int n = ours.QueryTerms(chunks[random.Next(chunks.Count)], terms, scratch);
            Assert.True(n > 1);
            ours.Search(terms.AsSpan(0, n), k, ids, scores, scratch);
            var hits = lucene.Search(terms.Take(n).Select(ours.Term), k);
            Assert.NotEmpty(hits);
            for (int i = 0; i < hits.Length; i++)
            {
                Assert.Equal(hits[i].Doc, ids[i]);
                Assert.Equal(hits[i].Score, scores[i]);
            }
        }
    }

    [Theory]
    [InlineData(LexicalScratch.DefaultBlockChunks)]
    [InlineData(3)]
    [InlineData(1)]
    public void Exclusions_never_cost_results(int blockChunks)
    {
        // Chunks 0..9 (the "meta-document") match the query best; 10..29 match less; 30..39 not at all.
        var chunks = Enumerable.Range(0, 10).Select(_ => "whale whale ship sea")
            .Concat(Enumerable.Range(0, 20).Select(i => $"whale harbour{i} town"))
            .Concat(Enumerable.Range(0, 10).Select(i => $"garden{i} flower")).ToList();
        using var index = Build(TempDir.Create(), chunks, new Bm25Settings());
        const int k = 25;
        var ids = new long[k];
        var scores = new float[k];
        var scratch = new LexicalScratch(blockChunks);
        var terms = new int[index.Settings.QueryTerms];
        int n = index.QueryTerms("whale whale ship sea", terms, scratch);
        index.Search(terms.AsSpan(0, n), k, ids, scores, scratch, new RangeAndSetExclusions(0, 10));
        Assert.All(ids, id => Assert.InRange(id, 10, chunks.Count - 1));
        Assert.Equal(k, ids.Distinct().Count());
        // The 20 partial matches first, then chunks sharing no term, in id order, so k results still come back.
        Assert.Equal(Enumerable.Range(10, 20).Select(i => (long)i), ids.Take(20).Order());
        Assert.Equal(new long[] { 30, 31, 32, 33, 34 }, ids.Skip(20));
        Assert.All(scores.Skip(20), s => Assert.Equal(0f, s));

        // Wider than what is left: every chunk not excluded (11 and 31 excluded too), then empty slots.
        const int wide = 45;
        ids = new long[wide];
        scores = new float[wide];
        index.Search(terms.AsSpan(0, n), wide, ids, scores, scratch, new RangeAndSetExclusions(0, 10, new HashSet<long> { 11, 31 }));
        Assert.Equal(Enumerable.Range(10, 20).Where(i => i != 11).Select(i => (long)i), ids.Take(19).Order());
        Assert.Equal(Enumerable.Range(30, 10).Where(i => i != 31).Select(i => (long)i), ids.Skip(19).Take(9));
        Assert.All(ids.Skip(28), id => Assert.Equal(-1, id));
        Assert.All(scores.Skip(28), s => Assert.Equal(float.NegativeInfinity, s));
    }

    // The scoring loop reads postings through pointers: damaged ones (a gap that wraps below the block, a last varint
    // that runs past the term's end) must end the search with the file named, never write outside the accumulators.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Damaged_postings_end_the_search_with_the_file_named(bool pastTheEnd)
    {
        var chunks = Enumerable.Range(0, 8).Select(i => $"zebra filler{i}").Concat(Enumerable.Range(0, 4).Select(i => $"other{i} words")).ToList();
        var settings = new Bm25Settings();
        string path;
        int term;
        var query = new int[1];
        var ids = new long[3];
        var scores = new float[3];
        using (var index = Build(TempDir.Create(), chunks, settings))
        {
            path = index.Path;
            term = index.Find("zebra"u8);
            Assert.Equal(8, index.DocFreq(term));
            query[0] = term;
            index.Search(query, 3, ids, scores, new LexicalScratch());
            Assert.Equal([0L, 1, 2], ids);
        }
        // The term's postings: (chunk 0, tf 1), then (gap 1, tf 1) seven times, a byte each.
        var bytes = File.ReadAllBytes(path);
        var header = LexicalIndexFile.Header.Read(bytes, path);
        int at = (int)(header.PostingsOffset + System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan((int)(header.TableOffset + term * LexicalIndexFile.TableEntryBytes))));
        Assert.Equal([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], bytes.AsSpan(at, 16).ToArray());
        if (pastTheEnd)
            bytes[at + 15] = 0x81;  // the last frequency goes on into the next term's bytes
        else
            new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }.CopyTo(bytes, at + 2);  // a gap of 2^32 - 1: chunk -1
        File.WriteAllBytes(path, bytes);
        using var damaged = LexicalIndex.Open(path, settings, chunks.Count);
        var e = Assert.Throws<InvalidDataException>(() => damaged.Search(query, 3, ids, scores, new LexicalScratch()));
        Assert.Contains(path, e.Message);
        Assert.Contains("corrupt", e.Message);
        // Scored once for the queries of a call (SharedPostings), the same postings are refused.
        e = Assert.Throws<InvalidDataException>(() => new SharedPostings().Share(damaged, [term, term], 2));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void The_file_is_the_same_built_in_one_pass_or_from_spilled_segments()
    {
        var chunks = SampleChunks(600);
        string dir = TempDir.Create();
        using var once = Build(dir, chunks, new Bm25Settings());
        using var spilled = Build(dir, chunks, new Bm25Settings(), bufferBytes: 4096);
        Assert.Equal(File.ReadAllBytes(once.Path), File.ReadAllBytes(spilled.Path));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public void A_bm25_index_merged_from_three_ranks_equals_a_local_build()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 5, documentsPerFile: 60);
        IndexStage.Options Options(string outDir, RankAssignment? rank = null, bool merge = false)
            => new() { Corpus = new() { Inputs = [corpus] }, OutDir = outDir, Retriever = RetrieverKind.Bm25, Execution = new() { Rank = rank, Merge = merge, Threads = 1 } };
        string local = Path.Combine(root, "local"), merged = Path.Combine(root, "merged");
        IndexStage.Run(Options(local));
        for (int r = 2; r >= 0; r--) IndexStage.Run(Options(merged, new RankAssignment(r, 3)));
        IndexStage.Run(Options(merged, merge: true));
        Assert.True(File.Exists(Path.Combine(local, ChunkIndexFiles.Lexical)));
        Assert.False(File.Exists(Path.Combine(local, ChunkIndexFiles.Vectors)));
        SplitSample.AssertSameTree(local, merged);
    }

    // A default (BM25) index of 300 documents of the sample, in a folder of its own: its root, corpus and index.
    private static string Bm25SampleIndex(out string root, out string corpus)
    {
        root = TempDir.Create();
        corpus = SplitSample.Create(root, files: 1, documentsPerFile: 300);
        string index = Path.Combine(root, "index");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = index, Retriever = RetrieverKind.Bm25 });
        return index;
    }

    [Fact]
    public void A_bm25_synthesis_needs_no_embedder_gives_k_negatives_per_meta_chunk_and_is_the_same_for_any_thread_count()
    {
        string index = Bm25SampleIndex(out string root, out string corpus);
        using (var opened = ChunkIndex.Open(index))
        {
            Assert.Equal("none", opened.Manifest.Embedder);
            Assert.Contains("--retriever bm25", Assert.Throws<InvalidOperationException>(() => opened.Vectors).Message);
            var miner = new NegativeMiner(opened, new Bm25Retriever(opened.Lexical!), 0.999f);
            var doc = opened.Document(0);
            var texts = Enumerable.Range(0, doc.ChunkCount).Select(i => opened.ChunkText(doc.FirstChunk + i)).ToArray();
            var negatives = new List<List<MinedNegative>>();
            const int k = 40;
            miner.Mine(texts, [], k, [(doc.FirstChunk, doc.FirstChunk + doc.ChunkCount)], negatives);
            Assert.Equal(texts.Length, negatives.Count);
            Assert.All(negatives, list => Assert.Equal(k, list.Count));
            var all = negatives.SelectMany(l => l).Select(n => n.ChunkId).ToList();
            Assert.Equal(all.Count, all.Distinct().Count());
            Assert.DoesNotContain(all, id => id >= doc.FirstChunk && id < doc.FirstChunk + doc.ChunkCount);
        }
        string Synthesize(int threads)
        {
            string outDir = Path.Combine(root, $"out-{threads}");
            var outcome = SynthesisStage.Run(new SynthesisStage.Options
            {
                IndexDir = index,
                Corpus = new() { Inputs = [corpus] },
                OutDir = outDir,
                Synthesis = new SynthesisOptions { TargetTokens = 8192, NumSamples = 6 },
                Execution = new() { Threads = threads },
            });
            Assert.Equal(6, outcome.Stats!.DocumentsWritten);
            return outDir;
        }
        string one = Synthesize(1), two = Synthesize(2);
        SplitSample.AssertSameTree(one, two);
        Assert.Contains("\"retriever\": \"bm25\"", File.ReadAllText(Path.Combine(one, "config.json")));
    }

    [Theory]
    [InlineData(SharedPostings.DefaultMaxPostings, LexicalScratch.DefaultBlockChunks)]
    [InlineData(2_000, LexicalScratch.DefaultBlockChunks)]
    [InlineData(SharedPostings.DefaultMaxPostings, 97)]
    public void Postings_shared_by_a_calls_queries_give_every_query_the_same_bits_as_searching_it_alone(int maxPostings, int blockChunks)
    {
        string index = Bm25SampleIndex(out _, out _);
        using var opened = ChunkIndex.Open(index);
        var lexical = opened.Lexical!;
        // Meta-chunks of a few documents: neighbours share many terms, and some terms only one query has.
        var texts = Enumerable.Range(0, 3).Select(opened.Document).SelectMany(d => Enumerable.Range(0, d.ChunkCount).Select(i => opened.ChunkText(d.FirstChunk + i)))
            .Take(24).ToArray();
        var scratch = new LexicalScratch(blockChunks);
        var allTerms = new List<int>();
        var counts = new List<int>();
        var buffer = new int[lexical.Settings.QueryTerms];
        foreach (string text in texts)
        {
            int n = lexical.QueryTerms(text, buffer, scratch);
            allTerms.AddRange(buffer.Take(n));
            counts.Add(n);
        }
        var shared = new SharedPostings(maxPostings);
        shared.Share(lexical, allTerms.ToArray(), counts.Count);
        Assert.True(shared.Count > 0);
        Assert.True(shared.Count <= maxPostings);
        if (maxPostings == 2_000) Assert.Contains(allTerms.Distinct(), t => allTerms.Count(u => u == t) > 1 && !shared.TryGet(t, out _, out _));
        const int k = 40;
        var exclusions = new RangeAndSetExclusions(0, 5, new HashSet<long> { 17, 40 });
        for (int q = 0, at = 0; q < texts.Length; at += counts[q++])
        {
            var terms = allTerms.GetRange(at, counts[q]).ToArray();
            long[] aloneIds = new long[k], sharedIds = new long[k];
            float[] aloneScores = new float[k], sharedScores = new float[k];
            lexical.Search(terms, k, aloneIds, aloneScores, scratch, exclusions, q);
            lexical.Search(terms, k, sharedIds, sharedScores, scratch, exclusions, q, shared);
            Assert.Equal(aloneIds, sharedIds);
            Assert.Equal(aloneScores.Select(BitConverter.SingleToInt32Bits), sharedScores.Select(BitConverter.SingleToInt32Bits));
        }

        // Through the retriever: one call for all of them against a call per query.
        var bm25 = new Bm25Retriever(lexical);
        long[] together = new long[texts.Length * k], apart = new long[texts.Length * k];
        float[] togetherScores = new float[texts.Length * k], apartScores = new float[texts.Length * k];
        bm25.Search(texts, [], k, exclusions, together, togetherScores);
        for (int q = 0; q < texts.Length; q++)
            bm25.Search(texts.AsSpan(q, 1), [], k, exclusions, apart.AsSpan(q * k, k), apartScores.AsSpan(q * k, k));
        Assert.Equal(apart, together);
        Assert.Equal(apartScores, togetherScores);
    }

    // Counts the calls and queries a retriever is asked, passing them through.
    private sealed class CountingRetriever(IChunkRetriever inner) : IChunkRetriever
    {
        public int Calls, Queries;
        public RetrieverKind Kind => inner.Kind;
        public bool NeedsVectors => inner.NeedsVectors;
        public bool ScoresAreCosines => inner.ScoresAreCosines;
        public bool ResultsAreNested => inner.ResultsAreNested;
        public bool QueriesShareScans => inner.QueriesShareScans;

        public void Search(ReadOnlySpan<string> texts, ReadOnlySpan<float> vectors, int k, SearchExclusions exclusions, Span<long> ids, Span<float> scores,
            CancellationToken ct = default, int threads = 1)
        {
            Calls++;
            Queries += texts.Length;
            inner.Search(texts, vectors, k, exclusions, ids, scores, ct, threads);
        }
    }

    [Fact]
    public void Bm25_mining_fetches_widely_once_instead_of_searching_each_meta_chunk_again_and_claims_the_same_negatives()
    {
        string index = Bm25SampleIndex(out _, out _);
        using var opened = ChunkIndex.Open(index);
        // Meta-chunks that rank the same chunks first: each loses to the earlier ones what they claimed.
        var doc = opened.Document(0);
        var texts = Enumerable.Repeat(opened.ChunkText(doc.FirstChunk), 5).ToArray();
        const int k = 12;
        var counting = new CountingRetriever(new Bm25Retriever(opened.Lexical!));
        var negatives = new List<List<MinedNegative>>();
        new NegativeMiner(opened, counting, 0.999f).Mine(texts, [], k, [(doc.FirstChunk, doc.FirstChunk + doc.ChunkCount)], negatives);
        // One call for all the meta-chunks, none again for the negatives earlier meta-chunks claimed.
        Assert.Equal(1, counting.Calls);
        Assert.Equal(texts.Length, counting.Queries);

        // The negatives are what one query at a time, each excluding what the earlier ones claimed, gives.
        var bm25 = new Bm25Retriever(opened.Lexical!);
        var used = new HashSet<long>();
        for (int i = 0; i < texts.Length; i++)
        {
            var ids = new long[k];
            bm25.Search(texts.AsSpan(i, 1), [], k, new RangeAndSetExclusions([(doc.FirstChunk, doc.FirstChunk + doc.ChunkCount)], used), ids, new float[k]);
            Assert.Equal(ids, negatives[i].Select(n => n.ChunkId));
            used.UnionWith(ids);
        }
    }

    [Fact]
    public void A_bm25_index_refuses_what_needs_vectors_and_a_hybrid_index_serves_every_retriever()
    {
        var ivf = Assert.Throws<OptionValidationException>(() => new IndexStage.Options
            { Corpus = new() { Inputs = ["c.jsonl"] }, OutDir = "o", Retriever = RetrieverKind.Bm25, IndexSpec = "IVF16,SQ8" }.Validate());
        Assert.Contains("--retriever dense or hybrid", ivf.Message);
        Assert.Throws<OptionValidationException>(() => new IndexStage.Options
            { Corpus = new() { Inputs = ["c.jsonl"] }, OutDir = "o", Retriever = RetrieverKind.Bm25, Embedder = "use-lite" }.Validate());
        Assert.Throws<OptionValidationException>(() => new SynthesisOptions { Retriever = RetrieverKind.Bm25, NearDuplicateThreshold = 0.9f }.Validate());

        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 1, documentsPerFile: 40);
        string bm25 = Path.Combine(root, "bm25"), hybrid = Path.Combine(root, "hybrid");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = bm25, Retriever = RetrieverKind.Bm25 });
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = hybrid, Retriever = RetrieverKind.Hybrid });
        SynthesisStage.Options Synthesis(string index, RetrieverKind retriever) => new()
        {
            IndexDir = index,
            Corpus = new() { Inputs = [corpus] },
            OutDir = Path.Combine(root, $"out-{Path.GetFileName(index)}-{retriever}"),
            Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 2, Retriever = retriever },
        };
        var refused = Assert.Throws<InvalidOperationException>(() => SynthesisStage.Run(Synthesis(bm25, RetrieverKind.Dense)));
        Assert.Contains("--retriever dense or hybrid", refused.Message);
        foreach (var retriever in Enum.GetValues<RetrieverKind>())
            Assert.Equal(2, SynthesisStage.Run(Synthesis(hybrid, retriever)).Stats!.DocumentsWritten);
    }

    private static List<string> SampleChunks(int count)
    {
        var chunker = new Chunking.ParagraphChunker();
        var chunks = new List<string>();
        foreach (var doc in Corpus.CorpusReader.Read(Corpus.CorpusSource.Parse(SampleIndexFixture.SamplePath), new Corpus.CorpusReadOptions(), new Corpus.CorpusReadReport()))
        {
            string text = chunker.Prepare(doc.Text);
            foreach (var c in chunker.Chunk(text)) chunks.Add(c.Of(text).ToString());
            if (chunks.Count >= count) break;
        }
        return chunks;
    }
}
