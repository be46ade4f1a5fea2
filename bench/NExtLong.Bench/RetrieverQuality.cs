using System.Diagnostics;
using NExtLong.Chunking;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;

namespace NExtLong.Bench;

/// <summary>
/// The retrievers as hard-negative miners on a corpus (the bundled sample by default), over one hybrid index (which
/// serves dense with GloVe, bm25 and hybrid) and one dense index with USE-lite (same chunks, same ids), each sampled
/// chunk a query with its stored vector:
/// <list type="bullet">
/// <item>same-document P@1: the best chunk other than the query itself is from the query's document (documents with 2+ chunks);</item>
/// <item>same-source share of mined negatives: of the top-k chunks of other documents (the meta-document's own excluded, as
/// synthesis does), the share from the query's source (the id's prefix before ':'), i.e. on a related topic;</item>
/// <item>top-k overlap with bm25 (the strongest by both measures above): the share of a retriever's top-k that bm25's top-k
/// for the same query also holds, averaged over queries (rank agreement);</item>
/// <item>false-negative rate: of those top-k, the share with at least half of their word 5-grams in the query's document
/// (the dedup issue's definition), as retrieved, before synthesis's guard;</item>
/// <item>queries per second on one thread at that k;</item>
/// <item>the §5.3 selections over a pool of 512 (for the first --selection-queries queries): mean score of top-k, random-R
/// (k drawn from the pool), tail-k (the pool's last k) and random-D (k chunks of other documents drawn from the corpus),
/// by the retriever's own score and by GloVe cosine; the paper's ordering is top-k > random-R > tail-k > random-D.</item>
/// </list>
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- retrievers [--corpus PATH] [--queries 2000] [--k 64] [--selection-queries 200]
/// </summary>
internal static class RetrieverQuality
{
    private const int Pool = 512;

    public static int Run(string[] args, string root)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
        int queries = int.Parse(Arg("--queries", "2000")), k = int.Parse(Arg("--k", "64")), selectionQueries = int.Parse(Arg("--selection-queries", "200"));
        string work = Directory.CreateTempSubdirectory("nextlong-retrievers-").FullName;
        string indexDir = Path.Combine(work, "index"), useLiteDir = Path.Combine(work, "index-use-lite");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = indexDir, Retriever = RetrieverKind.Hybrid });
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = useLiteDir, Retriever = RetrieverKind.Dense, Embedder = "use-lite" });
        var index = ChunkIndex.Open(indexDir);
        var useLite = ChunkIndex.Open(useLiteDir);
        if (useLite.ChunkCount != index.ChunkCount) throw new InvalidOperationException("the two indexes chunked the corpus differently");
        var documentOf = new int[index.ChunkCount];
        var sourceOf = new int[index.DocumentCount];
        var sources = new Dictionary<string, int>();
        for (int doc = 0; doc < index.DocumentCount; doc++)
        {
            var record = index.Document(doc);
            for (int c = 0; c < record.ChunkCount; c++) documentOf[record.FirstChunk + c] = doc;
            string source = record.Id.Split(':')[0];
            if (!sources.TryGetValue(source, out int s)) sources[source] = s = sources.Count;
            sourceOf[doc] = s;
        }
        var sampled = Enumerable.Range(0, queries).Select(q => (long)q * index.ChunkCount / queries).Distinct().ToList();
        var bm25 = new Bm25Retriever(index.Lexical!);
        var retrievers = new (string Name, IChunkRetriever Retriever, ChunkIndex Vectors)[]
        {
            ("dense (glove)", new DenseRetriever(index.Vectors), index),
            ("dense (use-lite)", new DenseRetriever(useLite.Vectors), useLite),
            ("bm25", bm25, index),
            ("hybrid: reciprocal rank fusion (k=60)", new HybridRetriever(index, index.Lexical!, HybridFusion.ReciprocalRank), index),
            ("hybrid: bm25 top-100 re-ranked by glove", new HybridRetriever(index, index.Lexical!, HybridFusion.Rerank), index),
        };
        Console.WriteLine($"corpus {Path.GetFileName(corpus)}: {index.ChunkCount:N0} chunks of {index.DocumentCount:N0} documents from {sources.Count} sources; {sampled.Count:N0} query chunks, k = {k}; load {File.ReadAllText("/proc/loadavg").Trim()}");

        // bm25's top-k per query, the reference of the overlap; each document's 5-grams, for false negatives.
        var bm25Top = new Dictionary<long, HashSet<long>>();
        var ids = new long[Math.Max(k, Pool)];
        var scores = new float[Math.Max(k, Pool)];
        foreach (long chunk in sampled)
        {
            var record = index.Document(documentOf[chunk]);
            bm25.Search([index.ChunkText(chunk)], [], k, MetaDocument(record), ids, scores);
            bm25Top[chunk] = [.. ids.AsSpan(0, k).ToArray().Where(id => id >= 0)];
        }
        var documentShingles = new Dictionary<int, ulong[]>();
        ulong[] ShinglesOf(int doc) => documentShingles.TryGetValue(doc, out var s) ? s : documentShingles[doc] = Shingles.Of(index.DocumentText(doc));

        Console.WriteLine($"{"retriever",-42} {"same-doc P@1",13} {"same-source",12} {"top-k ∩ bm25",13} {"false neg.",11} {"queries/s",10}");
        var selection = new List<string>();
        foreach (var (name, retriever, vectorIndex) in retrievers)
        {
            int d = vectorIndex.ChunkCount > 0 && retriever.NeedsVectors ? vectorIndex.Vectors.Dimension : 0;
            var vector = new float[Math.Max(1, d)];
            int p1Queries = 0, p1Hits = 0;
            long negatives = 0, sameSource = 0, falseNegatives = 0;
            double overlap = 0;
            var clock = new Stopwatch();
            foreach (long chunk in sampled)
            {
                int doc = documentOf[chunk];
                var record = index.Document(doc);
                string[] text = [index.ChunkText(chunk)];
                if (d > 0) vectorIndex.ReadVector(chunk, vector);
                ReadOnlySpan<float> query = d > 0 ? vector : [];
                if (record.ChunkCount > 1)
                {
                    retriever.Search(text, query, 1, new RangeAndSetExclusions(chunk, chunk + 1), ids, scores);
                    p1Queries++;
                    if (ids[0] >= 0 && documentOf[ids[0]] == doc) p1Hits++;
                }
                clock.Start();
                retriever.Search(text, query, k, MetaDocument(record), ids.AsSpan(0, k), scores.AsSpan(0, k));
                clock.Stop();
                int shared = 0;
                foreach (long id in ids.AsSpan(0, k))
                {
                    if (id < 0) continue;
                    negatives++;
                    if (sourceOf[documentOf[id]] == sourceOf[doc]) sameSource++;
                    if (bm25Top[chunk].Contains(id)) shared++;
                    if (Shingles.Containment(index.ChunkShingles(id), ShinglesOf(doc)) >= 0.5) falseNegatives++;
                }
                overlap += (double)shared / k;
            }
            Console.WriteLine($"{name,-42} {(double)p1Hits / p1Queries,13:P1} {(double)sameSource / negatives,12:P1} {overlap / sampled.Count,13:P1} {(double)falseNegatives / negatives,11:P2} {sampled.Count / clock.Elapsed.TotalSeconds,10:N0}");
            selection.Add(Selections(name, retriever, vectorIndex, index, sampled.Take(selectionQueries).ToList(), documentOf, k));
        }
        Console.WriteLine();
        Console.WriteLine($"§5.3 selections, mean score over {Math.Min(selectionQueries, sampled.Count)} queries, k = {k} from a pool of {Pool}: own score | GloVe cosine");
        Console.WriteLine($"{"retriever",-42} {"top-k",8} {"random-R",9} {"tail-k",8} {"random-D",9} | {"top-k",7} {"random-R",9} {"tail-k",8} {"random-D",9}  ordering (own | cosine)");
        foreach (string line in selection) Console.WriteLine(line);
        foreach (var (_, retriever, _) in retrievers) (retriever as IDisposable)?.Dispose();
        index.Dispose();
        useLite.Dispose();
        Directory.Delete(work, recursive: true);
        return 0;
    }

    private static RangeAndSetExclusions MetaDocument(DocumentRecord record) => new(record.FirstChunk, record.FirstChunk + record.ChunkCount);

    /// <summary>Mean scores of the four §5.3 selections, by the retriever's own score and by GloVe cosine (the hybrid index's vectors).</summary>
    private static string Selections(string name, IChunkRetriever retriever, ChunkIndex vectorIndex, ChunkIndex glove, List<long> queries, int[] documentOf, int k)
    {
        var random = new Random(42);
        int d = retriever.NeedsVectors ? vectorIndex.Vectors.Dimension : 0, g = glove.Vectors.Dimension;
        var vector = new float[Math.Max(1, d)];
        var queryGlove = new float[g];
        var other = new float[g];
        var ids = new long[Pool];
        var scores = new float[Pool];
        var all = new long[glove.ChunkCount];
        var allScores = new float[glove.ChunkCount];
        var ownById = new float[glove.ChunkCount];
        var own = new double[4];
        var cosine = new double[4];
        long n = 0;
        foreach (long chunk in queries)
        {
            var record = glove.Document(documentOf[chunk]);
            string[] text = [glove.ChunkText(chunk)];
            if (d > 0) vectorIndex.ReadVector(chunk, vector);
            ReadOnlySpan<float> query = d > 0 ? vector : [];
            glove.ReadVector(chunk, queryGlove);
            var exclusions = MetaDocument(record);
            retriever.Search(text, query, Pool, exclusions, ids, scores);
            // Every chunk's own score, for random-D: the whole corpus ranked (k fills with zero-score chunks for bm25).
            int others = (int)(glove.ChunkCount - record.ChunkCount);
            retriever.Search(text, query, others, exclusions, all.AsSpan(0, others), allScores.AsSpan(0, others));
            for (int i = 0; i < others; i++) if (all[i] >= 0) ownById[all[i]] = allScores[i];
            var pool = Enumerable.Range(0, Pool).ToArray();
            var randomR = pool.OrderBy(_ => random.Next()).Take(k).ToArray();
            var randomD = new List<long>();
            while (randomD.Count < k)
            {
                long c = random.NextInt64(glove.ChunkCount);
                if (documentOf[c] != documentOf[chunk] && !randomD.Contains(c)) randomD.Add(c);
            }
            long[][] picks = [ids[..k], [.. randomR.Select(i => ids[i])], ids[(Pool - k)..Pool], [.. randomD]];
            for (int s = 0; s < 4; s++)
                foreach (long id in picks[s])
                {
                    own[s] += ownById[id];
                    glove.ReadVector(id, other);
                    // A chunk without a known word has a zero GloVe vector: no direction, cosine 0.
                    float c = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(queryGlove, other);
                    cosine[s] += float.IsNaN(c) ? 0 : c;
                }
            n += k;
        }
        static string Order(double[] m) => m[0] > m[1] && m[1] > m[2] && m[2] > m[3] ? "holds" : "BROKEN";
        string F(double v) => v.ToString(v >= 10 ? "F2" : "F4");
        return $"{name,-42} {F(own[0] / n),8} {F(own[1] / n),9} {F(own[2] / n),8} {F(own[3] / n),9} | {cosine[0] / n,7:F4} {cosine[1] / n,9:F4} {cosine[2] / n,8:F4} {cosine[3] / n,9:F4}  {Order(own)} | {Order(cosine)}";
    }
}
