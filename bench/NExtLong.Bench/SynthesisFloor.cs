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
/// synthesize(1 thread) / synthesize(N threads) and synthesize(N) / floor.
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- synthesis-floor [--corpus PATH] [--samples 64]
///        [--target-tokens 131072] [--repeats 5] [--threads 1,2] [--format jsonl.zst,mds,megatron] [--tokenizer cl100k_base]
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

        string work = Directory.CreateTempSubdirectory("nextlong-floor-").FullName;
        try
        {
            string indexDir = Path.Combine(work, "index");
            IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = indexDir });
            var output = new DatasetOutputOptions { Formats = DatasetWriterFactory.ParseFormats([formats]) };
            int cores = Environment.ProcessorCount;
            // The floor's tokenizers are loaded once, outside the timing; synthesize loads its own inside.
            var floorTokenizers = Enumerable.Range(0, cores).Select(_ => TargetTokenizer.Load(tokenizerSpec)).ToArray();

            var synth = threads.ToDictionary(t => t, _ => new List<double>());
            var cpu = threads.ToDictionary(t => t, _ => new List<double>());
            var allocated = threads.ToDictionary(t => t, _ => new List<double>());
            var floor = new List<double>();
            Console.Error.WriteLine($"synthesis-floor: {samples} x {target} tokens, {tokenizerSpec}, --format {formats}, threads {string.Join(",", threads)}, {cores} cores, {repeats} repeats");
            for (int r = 0; r < repeats; r++)
            {
                // Alternate the order so that drift in the machine's load hits every thread count alike.
                foreach (int t in r % 2 == 0 ? threads : threads.Reverse())
                {
                    string outDir = Path.Combine(work, $"out-{t}");
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
                    });
                    double seconds = clock.Elapsed.TotalSeconds;
                    double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                    double perDocument = (double)(GC.GetTotalAllocatedBytes(precise: true) - bytes) / outcome.Stats!.DocumentsWritten;
                    synth[t].Add(seconds);
                    cpu[t].Add(cpuSeconds);
                    allocated[t].Add(perDocument);

                    var texts = ReadTexts(outDir);
                    clock.Restart();
                    long tokens = Tokenize(texts, floorTokenizers);
                    double floorSeconds = clock.Elapsed.TotalSeconds;
                    floor.Add(floorSeconds);
                    Console.Error.WriteLine($"  run {r + 1} threads {t}: synthesize {seconds:F2} s ({cpuSeconds:F2} CPU s, {perDocument / 1048576:F1} MiB allocated/document); "
                        + $"floor {floorSeconds:F2} s ({tokens:N0} tokens, {texts.Sum(x => (long)x.Length):N0} chars)");
                }
            }

            double floorMedian = Median(floor);
            string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
            Console.WriteLine($"machine: {cores} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average {load}");
            Console.WriteLine($"floor (all-core EncodeToIds of the output, {cores} threads): median {floorMedian:F2} s over {floor.Count} runs");
            foreach (int t in threads)
            {
                Console.WriteLine($"synthesize --threads {t}: median {Median(synth[t]):F2} s, {Median(cpu[t]):F2} CPU s, "
                    + $"{Median(allocated[t]) / 1048576:F1} MiB allocated/document; {Median(synth[t]) / floorMedian:F2}x the floor");
            }
            if (threads.Contains(1))
            {
                foreach (int t in threads.Where(t => t != 1))
                    Console.WriteLine($"scaling: --threads {t} is {Median(synth[1]) / Median(synth[t]):F2}x --threads 1 (medians)");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
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
