using System.Diagnostics;
using System.Text.Json;
using NExtLong.Output;
using NExtLong.Pipeline;
using NExtLong.Synthesis;
using NExtLong.Tokenization;
using ZstdSharp;

namespace NExtLong.Bench;

/// <summary>
/// Synthesis against its floor (issue 17): runs `synthesize` in this process at each thread count, alternating, and
/// right after each run a plain all-core tokenization of the texts it wrote (one tokenizer per core, EncodeToIds of
/// every document): the least work any synthesis must do. Prints per-run times, CPU seconds, bytes allocated per
/// document (GC.GetTotalAllocatedBytes, which is free of timing noise), the medians, and the ratios
/// synthesize(1 thread) / synthesize(N threads) and synthesize(N) / floor. --token-cache off,use runs each thread
/// count without and with the chunk token cache (made once before the timed runs, its build time printed), and checks
/// that both write the same bytes.
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- synthesis-floor [--corpus PATH [--index DIR]] [--samples 64]
///        [--target-tokens 131072] [--repeats 5] [--threads 1,2] [--format jsonl.zst,mds,megatron] [--tokenizer cl100k_base]
///        [--token-cache off|use|auto|off,use] [--meta-documents index|corpus|index,corpus]
/// --index DIR reads an index made beforehand from --corpus (a large one; `auto` then decides as synthesize does).
/// --meta-documents: choose meta-documents from the index (the default, where it can: IndexedMetaDocuments) or by
/// reading the corpus; both in one sitting compares the two, which must write the same bytes.
/// </summary>
internal static class SynthesisFloor
{
    public static int Run(string[] args, string root)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
        int samples = int.Parse(Arg("--samples", "64"));
        int target = int.Parse(Arg("--target-tokens", "131072"));
        int repeats = int.Parse(Arg("--repeats", "5"));
        int[] threads = [.. Arg("--threads", $"1,{Environment.ProcessorCount}").Split(',').Select(int.Parse).Distinct()];
        string formats = Arg("--format", "jsonl.zst,mds,megatron");
        string tokenizerSpec = Arg("--tokenizer", NExtLong.Pipeline.SynthesisStage.Options.DefaultTokenizer);
        var modes = Arg("--token-cache", "off").Split(',').Select(m => Enum.Parse<NExtLong.Index.TokenCacheMode>(m, ignoreCase: true)).Distinct().ToArray();
        var metaSources = Arg("--meta-documents", "index").Split(',').Distinct().ToArray();
        if (metaSources.Any(m => m is not ("index" or "corpus"))) throw new ArgumentException("--meta-documents takes index, corpus or index,corpus");
        var runs = threads.SelectMany(t => modes.SelectMany(m => metaSources.Select(x => (Threads: t, Mode: m, Meta: x)))).ToArray();

        string work = Directory.CreateTempSubdirectory("nextlong-floor-").FullName;
        try
        {
            // --index: an index made beforehand from --corpus (a large one, say), read here as synthesize reads it.
            string indexDir = Arg("--index", Path.Combine(work, "index"));
            if (!list.Contains("--index"))
                IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = indexDir });
            var output = new DatasetOutputOptions { Formats = DatasetWriterFactory.ParseFormats([formats]) };
            int cores = Environment.ProcessorCount;
            // The floor's tokenizers are loaded once, outside the timing; synthesize loads its own inside.
            var floorTokenizers = Enumerable.Range(0, cores).Select(_ => TargetTokenizer.Load(tokenizerSpec)).ToArray();
            if (modes.Any(m => m is NExtLong.Index.TokenCacheMode.Use or NExtLong.Index.TokenCacheMode.Build))
            {
                var built = Stopwatch.StartNew();
                using var index = NExtLong.Index.ChunkIndex.Open(indexDir);
                using var cache = NExtLong.Index.ChunkTokenCache.Open(index, TargetTokenizer.Load(tokenizerSpec), new SynthesisOptions().Separator,
                    NExtLong.Index.TokenCacheMode.Build, cores);
                Console.Error.WriteLine($"token cache: {(cache is null ? "none for this tokenizer" : $"{new FileInfo(cache.Path).Length:N0} bytes for {index.ChunkCount:N0} chunks")}, built in {built.Elapsed.TotalSeconds:F2} s on {cores} threads");
            }
            var outputs = new Dictionary<(int, NExtLong.Index.TokenCacheMode, string), string>();

            var synth = runs.ToDictionary(t => t, _ => new List<double>());
            var cpu = runs.ToDictionary(t => t, _ => new List<double>());
            var allocated = runs.ToDictionary(t => t, _ => new List<double>());
            var floor = new List<double>();
            Console.Error.WriteLine($"synthesis-floor: {samples} x {target} tokens, {tokenizerSpec}, --format {formats}, threads {string.Join(",", threads)}, token cache {string.Join(",", modes)}, meta-documents from {string.Join(",", metaSources)}, {cores} cores, {repeats} repeats");
            for (int r = 0; r < repeats; r++)
            {
                // Alternate the order so that drift in the machine's load hits every thread count alike.
                foreach (var run in r % 2 == 0 ? runs : runs.Reverse())
                {
                    int t = run.Threads;
                    string outDir = Path.Combine(work, $"out-{t}-{run.Mode}-{run.Meta}");
                    GC.Collect();
                    long bytes = GC.GetTotalAllocatedBytes(precise: true);
                    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    var outcome = SynthesisStage.Run(new SynthesisStage.Options
                    {
                        IndexDir = indexDir,
                        Corpus = new() { Inputs = [corpus] },
                        OutDir = outDir,
                        Tokenizer = tokenizerSpec,
                        Output = output,
                        Synthesis = new SynthesisOptions { NumSamples = samples, TargetTokens = target },
                        Execution = new() { Overwrite = true, Threads = t },
                        TokenCache = run.Mode,
                        ReadMetaDocumentsFromCorpus = run.Meta == "corpus",
                    });
                    double seconds = clock.Elapsed.TotalSeconds;
                    double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                    double perDocument = (double)(GC.GetTotalAllocatedBytes(precise: true) - bytes) / outcome.Stats!.DocumentsWritten;
                    synth[run].Add(seconds);
                    cpu[run].Add(cpuSeconds);
                    allocated[run].Add(perDocument);
                    outputs[run] = OutputChecksum(outDir);

                    var texts = ReadTexts(outDir);
                    clock.Restart();
                    long tokens = Tokenize(texts, floorTokenizers);
                    double floorSeconds = clock.Elapsed.TotalSeconds;
                    floor.Add(floorSeconds);
                    string load1 = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
                    Console.Error.WriteLine($"  run {r + 1} threads {t} token cache {run.Mode} meta-documents from {run.Meta} ({outcome.SourcesFromIndex} sources served) (load {load1}): synthesize {seconds:F2} s ({cpuSeconds:F2} CPU s, {perDocument / 1048576:F1} MiB allocated/document); "
                        + $"floor {floorSeconds:F2} s ({tokens:N0} tokens, {texts.Sum(x => (long)x.Length):N0} chars)");
                }
            }

            double floorMedian = Median(floor);
            string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
            Console.WriteLine($"machine: {cores} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average {load}");
            Console.WriteLine($"floor (all-core EncodeToIds of the output, {cores} threads): median {floorMedian:F2} s over {floor.Count} runs");
            foreach (var run in runs)
            {
                Console.WriteLine($"synthesize --threads {run.Threads} --token-cache {run.Mode}, meta-documents from {run.Meta}: median {Median(synth[run]):F2} s, {Median(cpu[run]):F2} CPU s, "
                    + $"{Median(allocated[run]) / 1048576:F1} MiB allocated/document; {Median(synth[run]) / floorMedian:F2}x the floor");
            }
            foreach (var mode in modes)
                foreach (var meta in metaSources)
                {
                    if (threads.Contains(1))
                    {
                        foreach (int t in threads.Where(t => t != 1))
                            Console.WriteLine($"scaling, --token-cache {mode}, meta-documents from {meta}: --threads {t} is {Median(synth[(1, mode, meta)]) / Median(synth[(t, mode, meta)]):F2}x --threads 1 (medians)");
                    }
                }
            if (modes.Length > 1)
            {
                foreach (int t in threads)
                    foreach (var meta in metaSources)
                        Console.WriteLine($"--threads {t}, meta-documents from {meta}: with the cache {Median(synth[(t, modes[^1], meta)]) / Median(synth[(t, modes[0], meta)]):F2}x the time without");
            }
            if (metaSources.Length > 1)
            {
                foreach (int t in threads)
                    foreach (var mode in modes)
                        Console.WriteLine($"--threads {t}, --token-cache {mode}: meta-documents from the index take {Median(synth[(t, mode, "index")]) / Median(synth[(t, mode, "corpus")]):F2}x the time of reading the corpus");
            }
            Console.WriteLine($"outputs identical across thread counts, cache modes and meta-document sources: {(outputs.Values.Distinct().Count() == 1 ? "yes" : "NO")}");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>XxHash64 of every file of the dataset but stats.json (which holds timings), by relative path.</summary>
    private static string OutputChecksum(string dir)
    {
        var hash = new System.IO.Hashing.XxHash64();
        foreach (string file in Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (Path.GetFileName(file) == "stats.json") continue;
            hash.Append(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(dir, file)));
            hash.Append(File.ReadAllBytes(file));
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>Every document's text from the dataset's part-*.jsonl.zst files, in order.</summary>
    private static List<string> ReadTexts(string dir)
    {
        var texts = new List<string>();
        foreach (string part in Directory.GetFiles(dir, "part-*.jsonl.zst").Order(StringComparer.Ordinal))
        {
            using var zstd = new DecompressionStream(File.OpenRead(part));
            using var reader = new StreamReader(zstd);
            while (reader.ReadLine() is { } line)
            {
                using var json = JsonDocument.Parse(line);
                texts.Add(json.RootElement.GetProperty("text").GetString()!);
            }
        }
        return texts;
    }

    /// <summary>EncodeToIds of every text on all cores, each core with a tokenizer of its own.</summary>
    private static long Tokenize(List<string> texts, TargetTokenizer[] tokenizers)
    {
        long tokens = 0;
        int next = -1;
        Parallel.For(0, tokenizers.Length, new ParallelOptions { MaxDegreeOfParallelism = tokenizers.Length }, worker =>
        {
            long mine = 0;
            for (int i; (i = Interlocked.Increment(ref next)) < texts.Count;)
                mine += tokenizers[worker].EncodeToIds(texts[i]).Count;
            Interlocked.Add(ref tokens, mine);
        });
        return tokens;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
