using System.Diagnostics;
using System.Text.Json;
using NExtLong.Index;

namespace NExtLong.IndexBench;

/// <summary>
/// Corpus-scale check: writes N clustered unit vectors (default 10M × 100, the GloVe embedder's dimension) to a
/// vectors.flat file, builds vectors.ivf from it in shards with <see cref="IvfIndexBuilder"/> (as an index folder
/// build does), reopens it memory-mapped with a full checksum pass, searches 10,000 fresh queries at several
/// nprobe, and measures recall@64 on a subset against exact search. Reports time and resident memory per phase
/// and the peak resident set size (VmHWM) of the whole process.
/// </summary>
internal static class ScaleCheck
{
    public static void Run(Args args)
    {
        string dir = args.Required("--dir");
        long n = args.Long("--n", 10_000_000);
        int d = args.Int("--d", 100);
        string spec = args.Get("--spec", "IVF,SQ8");
        long shard = args.Long("--shard", IvfIndexBuilder.DefaultShardVectors);
        int threads = args.Int("--threads", Environment.ProcessorCount);
        int nq = args.Int("--nq", 10_000), k = 64, exactQueries = args.Int("--exact-queries", 200);
        Directory.CreateDirectory(dir);
        string flatPath = Path.Combine(dir, "vectors.flat"), ivfPath = Path.Combine(dir, "vectors.ivf");
        var record = new Dictionary<string, object?> { ["n"] = n, ["d"] = d, ["spec"] = spec, ["threads"] = threads, ["load1_start"] = Machine.Load1() };
        var clusters = new ClusteredVectors(d, clusters: 100_000, seed: 7);

        if (!File.Exists(flatPath) || args.Get("--regenerate", "no") == "yes")
            Phase(record, "generate", () => clusters.WriteFlat(flatPath, n, threads));
        Phase(record, "build", () => IvfIndexBuilder.Build(flatPath, ivfPath, spec, threads, shard,
            log: m => Console.Error.WriteLine($"  {DateTime.Now:HH:mm:ss} {m} (rss {Machine.Rss() / 1e9:F2} GB, anonymous {Machine.RssAnon() / 1e9:F2} GB)")));
        record["ivf_bytes"] = new FileInfo(ivfPath).Length;
        record["ivf_bytes_per_vector"] = (double)new FileInfo(ivfPath).Length / n;

        IvfIndex? index = null;
        Phase(record, "open", () => index = IvfIndexFile.Open(ivfPath, verifyChecksum: true));
        record["spec_resolved"] = index!.Spec;
        var queries = new float[nq * d];
        clusters.Fill(1L << 40, nq, queries, threads);
        var ids = new long[nq * k];
        var scores = new float[nq * k];
        var exact = new long[exactQueries * k];
        Phase(record, "exact", () =>
        {
            using var flat = VectorIndexFile.Open(flatPath, verifyChecksum: false);
            flat.Search(queries.AsSpan(0, exactQueries * d), k, exact, new float[exactQueries * k]);
        });
        var points = new List<Dictionary<string, object?>>();
        int nlist = index.Parameters.Nlist;
        foreach (int nprobe in new[] { nlist / 256, nlist / 128, nlist / 64, nlist / 32, index.Parameters.NProbe, nlist / 8 }.Where(p => p >= 1).Distinct().Order())
        {
            var t = Machine.Time(() => index.Search(queries, k, ids, scores, new SearchParameters { NProbe = nprobe, MaxThreads = threads }));
            double recall = IndexRun.Recall(ids, exact.Select(i => (int)i).ToArray(), exactQueries, k, k);
            points.Add(new() { ["nprobe"] = nprobe, ["search_s"] = t.Wall, ["cpu_s"] = t.Cpu, ["qps"] = nq / t.Wall, ["recall"] = recall, ["load1"] = t.Load, ["rss_bytes"] = Machine.Rss() });
            Console.Error.WriteLine($"  nprobe {nprobe}: {t.Wall:F2}s (cpu {t.Cpu:F1}s, load1 {t.Load:F2}) QPS {nq / t.Wall:F0} recall@{k} {recall:F4} (on {exactQueries} queries)");
        }
        record["points"] = points;
        index.Dispose();
        record["peak_rss_bytes"] = Machine.PeakRss();
        Console.Error.WriteLine($"peak RSS {Machine.PeakRss() / (double)(1L << 30):F2} GiB");
        string line = JsonSerializer.Serialize(record);
        if (args.Get("--json", "") is { Length: > 0 } json) File.AppendAllText(json, line + "\n");
        Console.WriteLine(line);
    }

    private static void Phase(Dictionary<string, object?> record, string name, Action action)
    {
        var t = Machine.Time(action);
        record[$"{name}_s"] = t.Wall;
        record[$"{name}_cpu_s"] = t.Cpu;
        record[$"{name}_load1"] = t.Load;
        record[$"{name}_rss_after_bytes"] = Machine.Rss();
        record[$"{name}_rss_anon_after_bytes"] = Machine.RssAnon();
        record[$"{name}_peak_rss_bytes"] = Machine.PeakRss();
        Console.Error.WriteLine($"{name}: {t.Wall:F1}s (cpu {t.Cpu:F1}s, load1 at start {t.Load:F2}), rss after {Machine.Rss() / 1e9:F2} GB (anonymous {Machine.RssAnon() / 1e9:F2} GB), peak so far {Machine.PeakRss() / 1e9:F2} GB");
    }
}
