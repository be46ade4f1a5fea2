using System.Diagnostics;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using NExtLong.Index;
using NExtLong.Retrieval;

namespace NExtLong.Bench;

/// <summary>
/// BM25 search alone on an index made beforehand (`nextlong index`): queries are chunks spread evenly over the index,
/// turned into their query terms as synthesis does, each searched for the top k on one thread. Prints queries/s
/// (median of the repeats) and a checksum of every result's ids and scores, so two builds of the engine can be timed
/// side by side and shown to return the same bytes.
/// Usage: dotnet bench/NExtLong.Bench/bin/Release/net10.0/NExtLong.Bench.dll bm25-index --index DIR [--queries 300] [--k 200] [--repeats 5]
/// </summary>
internal static class Bm25IndexQueries
{
    public static int Run(string[] args)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        string dir = Arg("--index", "") is { Length: > 0 } d ? d : throw new ArgumentException("--index DIR is required");
        int queries = int.Parse(Arg("--queries", "300")), k = int.Parse(Arg("--k", "200")), repeats = int.Parse(Arg("--repeats", "5"));
        using var index = ChunkIndex.Open(dir, verify: false);
        var lexical = index.Lexical ?? throw new ArgumentException($"{dir}: the index has no lexical index");
        var scratch = new LexicalScratch();
        var terms = new List<int[]>();
        Span<int> buffer = stackalloc int[1024];
        for (int q = 0; q < queries; q++)
        {
            int n = lexical.QueryTerms(index.ChunkText(q * (index.ChunkCount / queries)), buffer, scratch);
            terms.Add(buffer[..n].ToArray());
        }
        var ids = new long[k];
        var scores = new float[k];
        var seconds = new List<double>();
        ulong checksum = 0;
        for (int r = 0; r < repeats; r++)
        {
            var hash = new XxHash3();
            var clock = Stopwatch.StartNew();
            foreach (var t in terms)
            {
                lexical.Search(t, k, ids, scores, scratch);
                hash.Append(MemoryMarshal.AsBytes(ids.AsSpan()));
                hash.Append(MemoryMarshal.AsBytes(scores.AsSpan()));
            }
            seconds.Add(clock.Elapsed.TotalSeconds);
            checksum = hash.GetCurrentHashAsUInt64();
        }
        seconds.Sort();
        double median = seconds[seconds.Count / 2];
        double postings = terms.Average(t => t.Sum(term => (double)lexical.DocFreq(term)));
        Console.WriteLine($"bm25-index: {index.ChunkCount:N0} chunks, {queries} queries of {terms.Average(t => t.Length):F1} terms and {postings:N0} postings, k {k}: "
            + $"median {queries / median:F0} queries/s ({median * 1000 / queries:F2} ms each) over {repeats} repeats; results xxh3 {checksum:x16}; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        return 0;
    }
}
