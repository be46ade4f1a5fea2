using System.Text.Json;
using NExtLong.Index;

namespace NExtLong.IndexBench;

/// <summary>
/// One benchmark run of one index spec on one dataset folder (xb.fbin, xq.fbin, optional xt.fbin training set,
/// gt_I.ibin exact top-k from FAISS): build (train + add), save and reopen memory-mapped, then search all queries
/// at once for each nprobe of a √2 grid until recall@k reaches --stop-recall (or gains less than --plateau a step). Appends one JSON line to --json,
/// in the same shape as bench/faiss/faiss_run.py writes, so the two can be compared point by point.
/// </summary>
internal static class IndexRun
{
    public static readonly int[] NProbeGrid = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384];

    public static void Run(Args args)
    {
        string data = args.Required("--data");
        string spec = args.Get("--spec", "Flat");
        int k = args.Int("--k", 64);
        int threads = args.Int("--threads", Environment.ProcessorCount);
        int reps = args.Int("--reps", 1);
        double stopRecall = args.Double("--stop-recall", 0.95);
        // PQ's recall levels off below --stop-recall (its codes cap it): stop once a step gains less than this.
        double plateau = args.Double("--plateau", 0);
        double budget = args.Double("--budget-seconds", 900);
        string work = args.Get("--work", Path.Combine(Path.GetTempPath(), "nextlong-indexbench"));
        Directory.CreateDirectory(work);

        using var xb = new BinVectors(Path.Combine(data, "xb.fbin"));
        using var xq = new BinVectors(Path.Combine(data, "xq.fbin"));
        using var gt = new BinVectors(Path.Combine(data, "gt_I.ibin"));
        int n = xb.Rows, d = xb.Columns, nq = xq.Rows;
        var queries = xq.Floats(0, nq).ToArray();
        var truth = gt.Ints(0, nq);
        var record = new Dictionary<string, object?>
        {
            ["system"] = "nextlong", ["data"] = Path.GetFileName(Path.GetFullPath(data)), ["spec"] = spec, ["d"] = d, ["n"] = n, ["nq"] = nq, ["k"] = k,
            ["threads"] = threads, ["load1_start"] = Machine.Load1(), ["cpu"] = Machine.CpuModel(), ["cpu_flags"] = Machine.SimdFlags(),
        };
        var points = new List<Dictionary<string, object?>>();
        WarmUp(spec, xb, k, threads);
        IVectorIndex index;
        string indexPath;
        if (spec == "Flat")
        {
            using var built = new FlatIndex(d);
            var add = Machine.Time(() => AddAll(built, xb));
            record["add_s"] = add.Wall;
            record["train_s"] = 0.0;
            indexPath = Path.Combine(work, $"bench-{Environment.ProcessId}.flat");
            VectorIndexFile.Save(built, indexPath);
            record["file_bytes"] = new FileInfo(indexPath).Length;
            index = VectorIndexFile.Open(indexPath);
        }
        else
        {
            var resolved = IvfSpec.Parse(spec).Resolve(n);
            using var built = new IvfIndex(d, resolved, threads);
            string trainPath = Path.Combine(data, "xt.fbin");
            var train = Machine.Time(() =>
            {
                if (File.Exists(trainPath))
                {
                    using var xt = new BinVectors(trainPath);
                    built.Train(xt.Floats(0, xt.Rows));
                }
                else built.Train(xb.Floats(0, n));
            });
            var add = Machine.Time(() => AddAll(built, xb));
            (record["train_s"], record["train_cpu_s"], record["add_s"], record["add_cpu_s"]) = (train.Wall, train.Cpu, add.Wall, add.Cpu);
            record["spec_resolved"] = resolved.ToString();
            indexPath = Path.Combine(work, $"bench-{Environment.ProcessId}.ivf");
            IvfIndexFile.Save(built, indexPath);
            long bytes = new FileInfo(indexPath).Length;
            if (resolved.Refine) bytes += new FileInfo(IvfIndexFile.RefinePath(indexPath)).Length;
            record["file_bytes"] = bytes;
            index = IvfIndexFile.Open(indexPath);
        }
        record["bytes_per_vector"] = (double)(long)record["file_bytes"]! / n;
        Console.Error.WriteLine($"[nextlong] {record["data"]} {spec}: train {record["train_s"]:F2}s add {record["add_s"]:F2}s, {record["bytes_per_vector"]:F1} B/vector");

        var ids = new long[(long)nq * k];
        var scores = new float[(long)nq * k];
        int[] probes = index is IvfIndex ivf ? NProbeGrid.Where(p => p <= ivf.Parameters.Nlist).ToArray() : [0];
        // Untimed warm-up on a few queries: page in the mapped index and the code, as FAISS's index is already in memory.
        int warm = Math.Min(nq, 256);
        index.Search(queries.AsSpan(0, warm * d), k, ids.AsSpan(0, warm * k), scores.AsSpan(0, warm * k), new SearchParameters { MaxThreads = threads, NProbe = probes[0] == 0 ? null : probes[0] });
        double lastSeconds = 0;
        int lastProbe = 0;
        foreach (int nprobe in probes)
        {
            if (lastProbe > 0 && lastSeconds * nprobe / lastProbe > budget)
            {
                record["stopped"] = $"nprobe {nprobe} would take over {budget:F0} s";
                break;
            }
            var parameters = new SearchParameters { MaxThreads = threads, NProbe = nprobe == 0 ? null : nprobe };
            double best = double.MaxValue, bestCpu = 0, load = 0;
            for (int r = 0; r < reps; r++)
            {
                var t = Machine.Time(() => index.Search(queries, k, ids, scores, parameters));
                if (t.Wall < best) (best, bestCpu, load) = (t.Wall, t.Cpu, t.Load);
            }
            double recall = Recall(ids, truth, nq, k, gt.Columns);
            points.Add(new() { ["nprobe"] = nprobe, ["search_s"] = best, ["cpu_s"] = bestCpu, ["qps"] = nq / best, ["recall"] = recall, ["load1"] = load });
            Console.Error.WriteLine($"[nextlong] {spec} nprobe {nprobe}: {best:F2}s (cpu {bestCpu:F1}s, load1 {load:F2}) QPS {nq / best:F0} recall@{k} {recall:F4}");
            if (recall >= stopRecall || (plateau > 0 && points.Count > 1 && recall - (double)points[^2]["recall"]! < plateau)) break;
            (lastSeconds, lastProbe) = (best, nprobe);
        }
        record["points"] = points;
        record["peak_rss_bytes"] = Machine.PeakRss();
        index.Dispose();
        // --keep FILE: the built index stays for `search` (profiling one nprobe without rebuilding).
        if (args.Get("--keep", "") is { Length: > 0 } keep) File.Copy(indexPath, keep, overwrite: true);
        foreach (var f in Directory.GetFiles(work, $"bench-{Environment.ProcessId}.*")) File.Delete(f);
        string line = JsonSerializer.Serialize(record);
        if (args.Get("--json", "") is { Length: > 0 } json) File.AppendAllText(json, line + "\n");
        Console.WriteLine(line);
    }

    /// <summary>
    /// Builds and searches a small throwaway index of the same spec first, so that timed builds do not include
    /// compiling the code (FAISS's is compiled ahead of time).
    /// </summary>
    private static void WarmUp(string spec, BinVectors xb, int k, int threads)
    {
        int d = xb.Columns;
        IVectorIndex index = spec == "Flat" ? new FlatIndex(d) : new IvfIndex(d, IvfSpec.Parse(spec).Resolve(xb.Rows), threads);
        using (index)
        {
            int rows = Math.Min(xb.Rows, index is IvfIndex ivf ? Math.Max(2048, 2 * ivf.Parameters.Nlist) : 2048);
            var sample = xb.Floats(0, rows);
            index.Train(sample);
            index.Add(sample);
            index.Search(sample[..(Math.Min(rows, 64) * d)], k, new long[64 * k], new float[64 * k], new SearchParameters { MaxThreads = threads });
        }
    }

    private static void AddAll(IVectorIndex index, BinVectors xb)
    {
        const int batch = 65536;
        for (long first = 0; first < xb.Rows; first += batch)
            index.Add(xb.Floats(first, (int)Math.Min(batch, xb.Rows - first)));
    }

    /// <summary>recall@k: |approximate top-k ∩ exact top-k| / k, averaged over queries (as faiss_bench.py computes it).</summary>
    public static double Recall(long[] ids, ReadOnlySpan<int> truth, int nq, int k, int truthColumns)
    {
        long hits = 0;
        var set = new HashSet<long>();
        for (int q = 0; q < nq; q++)
        {
            set.Clear();
            for (int j = 0; j < k; j++) set.Add(truth[q * truthColumns + j]);
            for (int j = 0; j < k; j++) if (set.Contains(ids[(long)q * k + j])) hits++;
        }
        return (double)hits / ((long)nq * k);
    }
}
