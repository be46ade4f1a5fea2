using System.Diagnostics;
using System.Text.Json;
using NExtLong.Index;

namespace NExtLong.IndexBench;

/// <summary>
/// Exact (Flat) search at corpus scale, as hard-negative mining calls it (issue 17): N clustered unit vectors
/// (default 0.5M × 100, the GloVe embedder's dimension) written once to DIR/vectors.flat and opened memory-mapped as
/// an index folder opens it, then calls of 1, 8, 64, … queries (top-k, one thread by default, as the miner searches),
/// each batch size timed for --seconds of calls over distinct queries. Reports ms per call, queries/s, and each
/// size's queries/s as a fraction of the largest batch's (the kernel's batched peak). Also prints the machine
/// (/proc/cpuinfo model and SIMD flags) and the load average before and after.
/// </summary>
internal static class ExactSearch
{
    public static void Run(Args args)
    {
        string dir = args.Required("--dir");
        long n = args.Long("--n", 500_000);
        int d = args.Int("--d", 100);
        int k = args.Int("--k", 64);
        int threads = args.Int("--threads", 1);
        double seconds = args.Double("--seconds", 3);
        int[] batches = [.. args.Get("--batches", "1,8,64,1024").Split(',').Select(int.Parse)];
        Directory.CreateDirectory(dir);
        string flatPath = Path.Combine(dir, $"vectors-{n}x{d}.flat");
        var clusters = new ClusteredVectors(d, clusters: 100_000, seed: 7);
        if (!File.Exists(flatPath)) clusters.WriteFlat(flatPath, n, Environment.ProcessorCount);

        Console.WriteLine($"machine: {Machine.Cpu()}; {Environment.ProcessorCount} cores; .NET {Environment.Version}");
        Console.WriteLine($"exact search over {n:N0} × {d} (mapped {flatPath}), k = {k}, {threads} thread(s), load average {Machine.LoadAverage()}");
        using var index = VectorIndexFile.Open(flatPath, verifyChecksum: false);
        int pool = Math.Max(batches.Max(), 1024);
        var queries = new float[pool * d];
        clusters.Fill(1L << 40, pool, queries, Environment.ProcessorCount);
        var parameters = new SearchParameters { MaxThreads = threads };
        // Touch every page once, so that the first batch size does not pay for reading the file.
        index.Search(queries.AsSpan(0, d), k, new long[k], new float[k], parameters);

        var rows = new List<Dictionary<string, object?>>();
        foreach (int b in batches)
        {
            var ids = new long[b * k];
            var scores = new float[b * k];
            var calls = new List<double>();
            var clock = Stopwatch.StartNew();
            int offset = 0;
            while (calls.Count < 2 || clock.Elapsed.TotalSeconds < seconds)
            {
                if (offset + b > pool) offset = 0;
                var call = Stopwatch.StartNew();
                index.Search(queries.AsSpan(offset * d, b * d), k, ids, scores, parameters);
                calls.Add(call.Elapsed.TotalSeconds);
                offset += b;
            }
            calls.Sort();
            double median = calls[calls.Count / 2];
            rows.Add(new() { ["queries_per_call"] = b, ["calls"] = calls.Count, ["median_ms_per_call"] = median * 1e3, ["qps"] = b / median, ["gfma_per_s"] = (double)b * n * d / median / 1e9, ["load1"] = Machine.Load1() });
        }
        double peak = rows.Max(r => (double)r["qps"]!);
        Console.WriteLine($"{"queries/call",12} {"calls",6} {"ms/call",10} {"queries/s",11} {"GFMA/s",8} {"of peak",8}");
        foreach (var r in rows)
            Console.WriteLine($"{r["queries_per_call"],12} {r["calls"],6} {(double)r["median_ms_per_call"]!,10:F2} {(double)r["qps"]!,11:F0} {(double)r["gfma_per_s"]!,8:F2} {(double)r["qps"]! / peak,8:P0}");
        Console.WriteLine($"load average after: {Machine.LoadAverage()}");
        var record = new Dictionary<string, object?> { ["n"] = n, ["d"] = d, ["k"] = k, ["threads"] = threads, ["cpu"] = Machine.Cpu(), ["rows"] = rows };
        if (args.Get("--json", "") is { Length: > 0 } json) File.AppendAllText(json, JsonSerializer.Serialize(record) + "\n");
    }
}
