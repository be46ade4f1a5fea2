using System.Diagnostics;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Retrieval;
using NExtLong.Tests;

namespace NExtLong.Bench;

/// <summary>
/// Our BM25 engine (<see cref="LexicalIndex"/>) against Lucene.Net 4.8 on identical chunks, terms, queries and BM25
/// parameters: every query's top-k (ids and float scores) must be identical, the correctness check; then build
/// chunks/s, index bytes per chunk and single-thread queries/s, each the median of alternating runs.
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- bm25 [--corpus PATH] [--queries 2000] [--k 512] [--repeats 3] [--copies 1]
/// </summary>
internal static class Bm25EngineBench
{
    public static int Run(string[] args, string root)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
        int queries = int.Parse(Arg("--queries", "2000")), k = int.Parse(Arg("--k", "512")), repeats = int.Parse(Arg("--repeats", "3"));
        int copies = int.Parse(Arg("--copies", "1"));
        var settings = new Bm25Settings();
        var chunker = new ParagraphChunker();
        var chunks = new List<string>();
        foreach (var doc in CorpusReader.Read(CorpusSource.Parse(corpus), new CorpusReadOptions(), new CorpusReadReport()))
        {
            string text = chunker.Prepare(doc.Text);
            foreach (var c in chunker.Chunk(text))
                if (!c.Of(text).IsWhiteSpace()) chunks.Add(c.Of(text).ToString());
        }
        // Copies make a larger corpus of the same text (every term's postings repeat).
        chunks = Enumerable.Repeat(chunks, copies).SelectMany(c => c).ToList();
        string work = Directory.CreateTempSubdirectory("nextlong-bm25-").FullName;
        string ours = Path.Combine(work, "lexical.bm25"), lucene = Path.Combine(work, "lucene");
        Console.Error.WriteLine($"{chunks.Count:N0} chunks; load {File.ReadAllText("/proc/loadavg").Trim()}");

        var buildOurs = new List<double>();
        var buildLucene = new List<double>();
        LuceneReference? engine = null;
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            using (var writer = new LexicalIndexWriter(ours, settings))
            {
                foreach (string c in chunks) writer.Add(c);
                writer.Complete();
            }
            buildOurs.Add(clock.Elapsed.TotalSeconds);
            engine?.Dispose();
            clock.Restart();
            engine = new LuceneReference(Lucene.Net.Store.FSDirectory.Open(lucene), chunks, settings);
            buildLucene.Add(clock.Elapsed.TotalSeconds);
        }
        using var lexical = LexicalIndex.Open(ours, settings, chunks.Count);
        var scratch = new LexicalScratch();

        // Queries: evenly spaced chunks, each reduced to its top terms by our MoreLikeThis rule.
        var queryTerms = new List<int[]>();
        Span<int> buffer = stackalloc int[settings.QueryTerms];
        for (int q = 0; q < queries; q++)
        {
            int n = lexical.QueryTerms(chunks[(int)((long)q * chunks.Count / queries)], buffer, scratch);
            queryTerms.Add(buffer[..n].ToArray());
        }
        var queryStrings = queryTerms.Select(t => t.Select(lexical.Term).ToList()).ToList();

        // Correctness: identical ids and scores for every hit Lucene returns (it returns matching chunks only).
        var ids = new long[k];
        var scores = new float[k];
        int identical = 0, compared = 0;
        string? firstDifference = null;
        for (int q = 0; q < queries; q++)
        {
            lexical.Search(queryTerms[q], k, ids, scores, scratch);
            var hits = engine!.Search(queryStrings[q], k);
            bool same = true;
            for (int i = 0; i < hits.Length; i++)
                if (hits[i].Doc != ids[i] || hits[i].Score != scores[i])
                {
                    same = false;
                    firstDifference ??= $"query {q} rank {i}: lucene ({hits[i].Doc}, {hits[i].Score:R}), ours ({ids[i]}, {scores[i]:R})";
                    break;
                }
            compared += hits.Length;
            if (same) identical++;
        }

        var searchOurs = new List<double>();
        var searchLucene = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            foreach (var t in queryTerms) lexical.Search(t, k, ids, scores, scratch);
            searchOurs.Add(clock.Elapsed.TotalSeconds);
            clock.Restart();
            foreach (var t in queryStrings) engine!.Search(t, k);
            searchLucene.Add(clock.Elapsed.TotalSeconds);
        }
        long oursBytes = new FileInfo(ours).Length, luceneBytes = Directory.EnumerateFiles(lucene).Sum(f => new FileInfo(f).Length);
        engine!.Dispose();
        Directory.Delete(work, recursive: true);

        double Median(List<double> x) => x.Order().ElementAt(x.Count / 2);
        Console.WriteLine($"corpus {Path.GetFileName(corpus)} x{copies}: {chunks.Count:N0} chunks, {queries:N0} queries of up to {settings.QueryTerms} terms, top-{k}, k1={settings.K1} b={settings.B}, analyzer {settings.Analyzer}; {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Trim()}; median of {repeats} alternating runs");
        Console.WriteLine($"identical top-{k} (ids and scores): {identical:N0} of {queries:N0} queries ({compared:N0} hits compared){(firstDifference is null ? "" : "; first difference: " + firstDifference)}");
        Console.WriteLine($"{"engine",-14} {"build chunks/s",15} {"bytes/chunk",12} {"queries/s (1 thread)",22}");
        Console.WriteLine($"{"ours",-14} {chunks.Count / Median(buildOurs),15:N0} {(double)oursBytes / chunks.Count,12:N1} {queries / Median(searchOurs),22:N0}");
        Console.WriteLine($"{"Lucene.Net",-14} {chunks.Count / Median(buildLucene),15:N0} {(double)luceneBytes / chunks.Count,12:N1} {queries / Median(searchLucene),22:N0}");
        return identical == queries ? 0 : 1;
    }
}
