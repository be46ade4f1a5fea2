using NExtLong.Index;

namespace NExtLong.IndexBench;

/// <summary>
/// Searches an index kept by `run --keep FILE` at the given nprobes, each --reps times, and prints the median and
/// best wall time, QPS and recall: a loop to profile or A/B one search path without rebuilding the index.
/// </summary>
internal static class SearchRun
{
    public static void Run(Args args)
    {
        string data = args.Required("--data");
        string path = args.Required("--index");
        int k = args.Int("--k", 64);
        int threads = args.Int("--threads", Environment.ProcessorCount);
        int reps = args.Int("--reps", 5);
        int[] nprobes = args.Get("--nprobe", "12").Split(',').Select(int.Parse).ToArray();
        using var xq = new BinVectors(Path.Combine(data, "xq.fbin"));
        using var gt = new BinVectors(Path.Combine(data, "gt_I.ibin"));
        int nq = xq.Rows;
        var queries = xq.Floats(0, nq).ToArray();
        var truth = gt.Ints(0, nq);
        using IVectorIndex index = path.EndsWith(".ivf", StringComparison.Ordinal) ? IvfIndexFile.Open(path) : VectorIndexFile.Open(path);
        var ids = new long[(long)nq * k];
        var scores = new float[(long)nq * k];
        foreach (int nprobe in nprobes)
        {
            var parameters = new SearchParameters { MaxThreads = threads, NProbe = nprobe };
            index.Search(queries, k, ids, scores, parameters);
            var times = new double[reps];
            for (int r = 0; r < reps; r++) times[r] = Machine.Time(() => index.Search(queries, k, ids, scores, parameters)).Wall;
            Array.Sort(times);
            double median = times[reps / 2];
            Console.WriteLine($"nprobe {nprobe}: median {median:F4}s best {times[0]:F4}s QPS {nq / median:F0} recall@{k} {IndexRun.Recall(ids, truth, nq, k, gt.Columns):F4} (threads {threads}, load1 {Machine.Load1():F2})");
        }
    }
}
