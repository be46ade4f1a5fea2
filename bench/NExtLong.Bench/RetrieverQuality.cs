using System.Diagnostics;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;

namespace NExtLong.Bench;

/// <summary>
/// The retrievers as hard-negative miners on a corpus (the bundled sample by default), over one hybrid index (which
/// serves all of them), each chunk a query with its stored vector:
/// <list type="bullet">
/// <item>same-document P@1: the best chunk other than the query itself is from the query's document (documents with 2+ chunks);</item>
/// <item>same-source share of mined negatives: of the top-k chunks of other documents (the meta-document's own excluded, as
/// synthesis does), the share from the query's source (the id's prefix before ':'), i.e. on a related topic;</item>
/// <item>queries per second on one thread at that k.</item>
/// </list>
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- retrievers [--corpus PATH] [--queries 2000] [--k 64]
/// </summary>
internal static class RetrieverQuality
{
    public static int Run(string[] args, string root)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
        int queries = int.Parse(Arg("--queries", "2000")), k = int.Parse(Arg("--k", "64"));
        string work = Directory.CreateTempSubdirectory("nextlong-retrievers-").FullName;
        string indexDir = Path.Combine(work, "index");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = indexDir, Retriever = RetrieverKind.Hybrid });
        var index = ChunkIndex.Open(indexDir);
        int d = index.Vectors.Dimension;
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
        var retrievers = new (string Name, IChunkRetriever Retriever)[]
        {
            ("dense (glove)", new DenseRetriever(index.Vectors)),
            ("bm25", new Bm25Retriever(index.Lexical!)),
            ("hybrid: reciprocal rank fusion (k=60)", new HybridRetriever(index, index.Lexical!, HybridFusion.ReciprocalRank)),
            ("hybrid: bm25 top-100 re-ranked by glove", new HybridRetriever(index, index.Lexical!, HybridFusion.Rerank)),
        };
        Console.WriteLine($"corpus {Path.GetFileName(corpus)}: {index.ChunkCount:N0} chunks of {index.DocumentCount:N0} documents from {sources.Count} sources; {sampled.Count:N0} query chunks, k = {k}; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"retriever",-42} {"same-doc P@1",13} {"same-source share",18} {"queries/s",10}");
        var vector = new float[d];
        var ids = new long[k];
        var scores = new float[k];
        foreach (var (name, retriever) in retrievers)
        {
            int p1Queries = 0, p1Hits = 0;
            long negatives = 0, sameSource = 0;
            var clock = new Stopwatch();
            foreach (long chunk in sampled)
            {
                int doc = documentOf[chunk];
                var record = index.Document(doc);
                string[] text = [index.ChunkText(chunk)];
                index.ReadVector(chunk, vector);
                if (record.ChunkCount > 1)
                {
                    retriever.Search(text, vector, 1, new RangeAndSetExclusions(chunk, chunk + 1), ids, scores);
                    p1Queries++;
                    if (ids[0] >= 0 && documentOf[ids[0]] == doc) p1Hits++;
                }
                clock.Start();
                retriever.Search(text, vector, k, new RangeAndSetExclusions(record.FirstChunk, record.FirstChunk + record.ChunkCount), ids, scores);
                clock.Stop();
                foreach (long id in ids)
                {
                    if (id < 0) continue;
                    negatives++;
                    if (sourceOf[documentOf[id]] == sourceOf[doc]) sameSource++;
                }
            }
            Console.WriteLine($"{name,-42} {(double)p1Hits / p1Queries,13:P1} {(double)sameSource / negatives,18:P1} {sampled.Count / clock.Elapsed.TotalSeconds,10:N0}");
            (retriever as IDisposable)?.Dispose();
        }
        index.Dispose();
        Directory.Delete(work, recursive: true);
        return 0;
    }
}
