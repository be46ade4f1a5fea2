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
/// synthesize(1 thread) / synthesize(N threads) and synthesize(N) / floor. The floor tokenizes with the encoder synthesize
/// uses; a second floor, with Microsoft.ML.Tokenizers' own TiktokenTokenizer instances (what a run encoded with before
/// session 31, about 2x slower), is printed beside it. --token-cache off,use runs each thread
/// count without and with the chunk token cache (made once before the timed runs, its build time printed), and checks
/// that both write the same bytes.
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- synthesis-floor [--corpus PATH [--index DIR]] [--samples 64]
///        [--target-tokens 131072] [--repeats 5] [--warmup 1] [--threads 1,2] [--format jsonl.zst,mds,megatron] [--tokenizer cl100k_base]
///        [--token-cache off|use|auto|off,use] [--meta-documents index|corpus|index,corpus] [--via library|cli|pinned|library,cli,pinned [--cli PROGRAM]]
/// --samples N1,N2 (two or more counts) also runs each thread count at every count, back to back in each repeat, and
/// prints the marginal scaling: the ratio of the time the extra N2 - N1 documents take on one thread to the time they
/// take on N, within each repeat. That is what a long run gets per document, without the fixed cost of a process
/// (start, last shard, publication) that a short run's whole-run ratio carries.
/// --index DIR reads an index made beforehand from --corpus (a large one; `auto` then decides as synthesize does).
/// --meta-documents: choose meta-documents from the index (the default, where it can: IndexedMetaDocuments) or by
/// reading the corpus; both in one sitting compares the two, which must write the same bytes.
/// --via cli times the CLI `./nextlong` runs (it builds it first if needed) as a process, start-up and loading included,
/// as a user runs it, or --cli PROGRAM (a native program, or a dll run under `dotnet`); library (the default) calls the
/// stage in this warm process. --via pinned runs the CLI under `taskset` on as many processors as --threads (each repeat
/// starting at the next processor, so that --threads 1 runs on every one in turn): --threads 1
/// on one core (unpinned, zstd's compression thread takes the other core beside the worker), so its scaling is what
/// each core adds.
/// --side-by-side (with --via pinned and --threads 1): each repeat also runs as many copies of the --threads 1 run as
/// there are processors, at once, one on each, and prints how much more they get done than one alone: independent runs
/// share nothing but the machine, so that is the most any run on all its cores can scale here (a virtual machine's
/// processors may share a core, caches or memory bandwidth on the host).
/// --warmup N (default 1): untimed library runs before the timed ones, so that neither JIT nor an index read from disk
/// is timed (the runs print their major page faults).
/// </summary>
internal static class SynthesisFloor
{
    public static int Run(string[] args, string root)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
        int[] sampleCounts = [.. Arg("--samples", "64").Split(',').Select(int.Parse).Distinct().Order()];
        if (sampleCounts.Any(n => n < 1)) throw new ArgumentException("--samples takes counts of 1 or more");
        int target = int.Parse(Arg("--target-tokens", "131072"));
        int repeats = int.Parse(Arg("--repeats", "5"));
        int warmup = int.Parse(Arg("--warmup", "1"));
        if (warmup < 0) throw new ArgumentException("--warmup takes 0 or more untimed runs");
        int[] threads = [.. Arg("--threads", $"1,{Environment.ProcessorCount}").Split(',').Select(int.Parse).Distinct()];
        string formats = Arg("--format", "jsonl.zst,mds,megatron");
        string tokenizerSpec = Arg("--tokenizer", NExtLong.Pipeline.SynthesisStage.Options.DefaultTokenizer);
        var modes = Arg("--token-cache", "off").Split(',').Select(m => Enum.Parse<NExtLong.Index.TokenCacheMode>(m, ignoreCase: true)).Distinct().ToArray();
        var metaSources = Arg("--meta-documents", "index").Split(',').Distinct().ToArray();
        if (metaSources.Any(m => m is not ("index" or "corpus"))) throw new ArgumentException("--meta-documents takes index, corpus or index,corpus");
        var vias = Arg("--via", "library").Split(',').Distinct().ToArray();
        if (vias.Any(v => v is not ("library" or "cli" or "pinned"))) throw new ArgumentException("--via takes library, cli, pinned or a list of them");
        bool sideBySide = list.Contains("--side-by-side");
        if (sideBySide && !(vias.Contains("pinned") && threads.Contains(1)))
            throw new ArgumentException("--side-by-side runs copies of the pinned --threads 1 run: it needs --via pinned and --threads 1");
        // cli: the published CLI (what `./nextlong` runs) as a process of its own, its start-up, JIT and loading included.
        IReadOnlyList<string> cli = Arg("--cli", "") is { Length: > 0 } given
            ? given.EndsWith(".dll", StringComparison.Ordinal) ? ["dotnet", given] : [given]
            : vias.Any(v => v != "library") ? NExtLong.Tests.CliProcess.Program : [];
        if (vias.Any(v => v != "library") && metaSources.Contains("corpus")) throw new ArgumentException("--via cli and pinned choose meta-documents as the CLI does: --meta-documents index only");
        var runs = threads.SelectMany(t => modes.SelectMany(m => metaSources.SelectMany(x => vias.SelectMany(v => sampleCounts.Select(n => (Threads: t, Mode: m, Meta: x, Via: v, Samples: n)))))).ToArray();

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
            // The second floor tokenizes with the library's own instances (Microsoft.ML.Tokenizers' TiktokenTokenizer), built here.
            foreach (var tokenizer in floorTokenizers) _ = tokenizer.Inner;
            if (modes.Any(m => m is NExtLong.Index.TokenCacheMode.Use or NExtLong.Index.TokenCacheMode.Build))
            {
                var built = Stopwatch.StartNew();
                using var index = NExtLong.Index.ChunkIndex.Open(indexDir);
                using var cache = NExtLong.Index.ChunkTokenCache.Open(index, TargetTokenizer.Load(tokenizerSpec), new SynthesisOptions().Separator,
                    NExtLong.Index.TokenCacheMode.Build, cores);
                Console.Error.WriteLine($"token cache: {(cache is null ? "none for this tokenizer" : $"{new FileInfo(cache.Path).Length:N0} bytes for {index.ChunkCount:N0} chunks")}, built in {built.Elapsed.TotalSeconds:F2} s on {cores} threads");
            }
            var outputs = new Dictionary<(int Threads, NExtLong.Index.TokenCacheMode Mode, string Meta, string Via, int Samples), string>();

            var synth = runs.ToDictionary(t => t, _ => new List<double>());
            var cpu = runs.ToDictionary(t => t, _ => new List<double>());
            var allocated = runs.ToDictionary(t => t, _ => new List<double>());
            var majorFaults = runs.ToDictionary(t => t, _ => new List<double>());
            // By sample count: each count's output is its own floor.
            var floor = sampleCounts.ToDictionary(n => n, _ => new List<double>());
            // The same work on one thread, where --threads 1 is timed: how far perfectly parallel tokenization scales on
            // this machine's cores, the ceiling for synthesis's scaling (cores that share a chip or a host do not add a
            // whole core each).
            var floorOneThread = sampleCounts.ToDictionary(n => n, _ => new List<double>());
            var libraryFloor = sampleCounts.ToDictionary(n => n, _ => new List<double>());
            bool scales = cores > 1 && threads.Contains(1);
            // Per sample count: the wall time of one copy of the pinned --threads 1 run on every processor at once,
            // each right after the run alone it is paired with.
            var together = sampleCounts.ToDictionary(n => n, _ => new List<double>());
            (int Threads, NExtLong.Index.TokenCacheMode Mode, string Meta, string Via, int Samples) Alone(int n) => runs.First(x => x.Via == "pinned" && x.Threads == 1 && x.Samples == n);
            // The CLI's synthesize, as every CLI run calls it.
            string[] CliArgs(string outDir, int t, NExtLong.Index.TokenCacheMode mode, int samples) => ["synthesize", "-i", corpus, "--index", indexDir, "-o", outDir,
                "--tokenizer", tokenizerSpec, "--format", formats, "-n", $"{samples}", "--target-tokens", $"{target}", "--threads", $"{t}", "--token-cache", $"{mode}".ToLowerInvariant(), "--overwrite"];
            SynthesisStage.Options LibraryRun(string outDir, int t, NExtLong.Index.TokenCacheMode mode, string meta, int samples) => new()
            {
                IndexDir = indexDir,
                Corpus = new() { Inputs = [corpus] },
                OutDir = outDir,
                Tokenizer = tokenizerSpec,
                Output = output,
                Synthesis = new SynthesisOptions { NumSamples = samples, TargetTokens = target },
                Execution = new() { Overwrite = true, Threads = t },
                TokenCache = mode,
                ReadMetaDocumentsFromCorpus = meta == "corpus",
            };
            // Untimed runs first: this process's code is compiled, and the index's pages are read into the page cache
            // (which some machines evict within minutes), before anything is timed.
            for (int w = 0; w < warmup; w++)
                SynthesisStage.Run(LibraryRun(Path.Combine(work, "warm-up"), runs[0].Threads, runs[0].Mode, runs[0].Meta, runs[0].Samples));
            Console.Error.WriteLine($"synthesis-floor: {string.Join(",", sampleCounts)} x {target} tokens, {tokenizerSpec}, --format {formats}, threads {string.Join(",", threads)}, token cache {string.Join(",", modes)}, meta-documents from {string.Join(",", metaSources)}, {cores} cores, {repeats} repeats after {warmup} untimed");
            for (int r = 0; r < repeats; r++)
            {
                // Alternate the order so that drift in the machine's load hits every thread count alike.
                foreach (var run in r % 2 == 0 ? runs : runs.Reverse())
                {
                    int t = run.Threads, samples = run.Samples;
                    string outDir = Path.Combine(work, $"out-{t}-{run.Mode}-{run.Meta}-{run.Via}-{samples}");
                    double seconds, cpuSeconds, perDocument = 0;
                    string gc = "", beside = "";
                    int served;
                    long faultsBefore = MajorFaults();
                    if (run.Via != "library")
                    {
                        // This process holds the last run's texts and tokenizers' garbage: collected now, so that no
                        // background collection of it shares the cores with the child being timed.
                        GC.Collect();
                        GC.WaitForPendingFinalizers();
                        GC.Collect();
                        WaitUntilIdle();
                        string[]? pinned = run.Via == "pinned" ? OnCpus(t, r) : null;
                        var (wall, childCpu, others, stdout) = RunCli(pinned is null ? cli : [.. pinned, .. cli], CliArgs(outDir, t, run.Mode, samples));
                        (seconds, cpuSeconds) = (wall, childCpu);
                        beside = $", beside it {others.Busy:F2} CPU s of other processes and the kernel, {others.Steal:F2} s stolen{(pinned is null ? "" : $", on processors {pinned[^1]}")}";
                        served = stdout.Contains("meta-documents chosen and read from the index", StringComparison.Ordinal) ? 1 : 0;
                    }
                    else
                    {
                        GC.Collect();
                        long bytes = GC.GetTotalAllocatedBytes(precise: true);
                        var pausedBefore = GC.GetTotalPauseDuration();
                        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
                        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                        var clock = Stopwatch.StartNew();
                        var outcome = SynthesisStage.Run(LibraryRun(outDir, t, run.Mode, run.Meta, samples));
                        seconds = clock.Elapsed.TotalSeconds;
                        cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                        perDocument = (double)(GC.GetTotalAllocatedBytes(precise: true) - bytes) / outcome.Stats!.DocumentsWritten;
                        served = outcome.SourcesFromIndex;
                        gc = $", GC paused {(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds:F0} ms, collections gen0/1/2 "
                             + $"{GC.CollectionCount(0) - collectionsBefore[0]}/{GC.CollectionCount(1) - collectionsBefore[1]}/{GC.CollectionCount(2) - collectionsBefore[2]}";
                    }
                    long faults = MajorFaults() - faultsBefore;
                    synth[run].Add(seconds);
                    cpu[run].Add(cpuSeconds);
                    majorFaults[run].Add(faults);
                    allocated[run].Add(perDocument);
                    outputs[run] = OutputChecksum(outDir);

                    var texts = ReadTexts(outDir);
                    var floorClock = Stopwatch.StartNew();
                    long tokens = Tokenize(texts, cores, (worker, text) => floorTokenizers[worker].EncodeToIds(text).Count);
                    double floorSeconds = floorClock.Elapsed.TotalSeconds;
                    floor[samples].Add(floorSeconds);
                    floorClock.Restart();
                    if (Tokenize(texts, cores, (worker, text) => floorTokenizers[worker].Inner.EncodeToIds(text).Count) != tokens)
                        throw new InvalidOperationException("the library's tokenizer counts other tokens than the encoder synthesize uses");
                    libraryFloor[samples].Add(floorClock.Elapsed.TotalSeconds);
                    string oneThread = "";
                    if (scales)
                    {
                        // Its CPU says whether it had help: this process is not pinned, so its collections' background
                        // thread may take the other core.
                        var oneCpu = Process.GetCurrentProcess().TotalProcessorTime;
                        var oneClock = Stopwatch.StartNew();
                        Tokenize(texts, 1, (_, text) => floorTokenizers[0].EncodeToIds(text).Count);
                        floorOneThread[samples].Add(oneClock.Elapsed.TotalSeconds);
                        oneThread = $", on one thread {floorOneThread[samples][^1]:F2} s ({(Process.GetCurrentProcess().TotalProcessorTime - oneCpu).TotalSeconds:F2} CPU s)";
                    }
                    string load1 = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
                    Console.Error.WriteLine($"  run {r + 1} {samples} samples threads {t} token cache {run.Mode} meta-documents from {run.Meta} ({served} sources served) via {run.Via} (load {load1}): synthesize {seconds:F2} s ({cpuSeconds:F2} CPU s, {faults:N0} major faults{(run.Via != "library" ? beside : $", {perDocument / 1048576:F1} MiB allocated/document{gc}")}); "
                        + $"floor {floorSeconds:F2} s{oneThread}, with the library's tokenizer {libraryFloor[samples][^1]:F2} s ({tokens:N0} tokens, {texts.Sum(x => (long)x.Length):N0} chars)");
                    if (sideBySide && run == Alone(samples))
                    {
                        GC.Collect();
                        WaitUntilIdle();
                        var clock = Stopwatch.StartNew();
                        var copies = Enumerable.Range(0, cores).Select(c => Task.Run(() => RunCli([.. OnCpus(1, r + c), .. cli], CliArgs(Path.Combine(work, $"side-by-side-{c}"), 1, run.Mode, samples)))).ToArray();
                        Task.WaitAll(copies);
                        together[samples].Add(clock.Elapsed.TotalSeconds);
                        bool same = Enumerable.Range(0, cores).All(c => OutputChecksum(Path.Combine(work, $"side-by-side-{c}")) == outputs[run]);
                        Console.Error.WriteLine($"  run {r + 1} {samples} samples: {cores} copies of the --threads 1 run side by side, one a processor: {together[samples][^1]:F2} s for all "
                            + $"({string.Join(", ", copies.Select(c => $"{c.Result.Wall:F2}"))} s each; outputs the same as the run alone's: {(same ? "yes" : "NO")})");
                    }
                }
            }

            string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "?";
            Console.WriteLine($"machine: {cores} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average {load}");
            foreach (int n in sampleCounts)
            {
                if (sampleCounts.Length > 1) Console.WriteLine($"{n} samples:");
                double floorMedian = Median(floor[n]);
                double floorScaling = scales ? Median(floorOneThread[n]) / floorMedian : double.NaN;
                Console.WriteLine($"floor (all-core EncodeToIds of the output, {cores} threads): median {floorMedian:F2} s over {floor[n].Count} runs");
                if (scales)
                    Console.WriteLine($"floor on one thread: median {Median(floorOneThread[n]):F2} s; all {cores} cores do it {floorScaling:F2}x as fast");
                double libraryMedian = Median(libraryFloor[n]);
                Console.WriteLine($"floor with Microsoft.ML.Tokenizers' TiktokenTokenizer instead (all-core, {cores} threads): median {libraryMedian:F2} s, {libraryMedian / floorMedian:F2}x the floor");
                foreach (var run in runs.Where(x => x.Samples == n))
                {
                    Console.WriteLine($"synthesize --threads {run.Threads} --token-cache {run.Mode}, meta-documents from {run.Meta}, via {run.Via}: median {Median(synth[run]):F2} s, {Median(cpu[run]):F2} CPU s, {Median(majorFaults[run]):N0} major faults, "
                        + (run.Via != "library" ? "" : $"{Median(allocated[run]) / 1048576:F1} MiB allocated/document; ") + $"{Median(synth[run]) / floorMedian:F2}x the floor, {Median(synth[run]) / libraryMedian:F2}x the library's");
                }
                foreach (var via in vias)
                {
                    foreach (var mode in modes)
                        foreach (var meta in metaSources)
                        {
                            if (threads.Contains(1))
                            {
                                foreach (int t in threads.Where(t => t != 1))
                                {
                                    var one = synth[(1, mode, meta, via, n)];
                                    var many = synth[(t, mode, meta, via, n)];
                                    double scaling = Median(one) / Median(many);
                                    Console.WriteLine($"scaling, --token-cache {mode}, meta-documents from {meta}, via {via}: --threads {t} is {scaling:F2}x --threads 1 (medians); "
                                        + WithinRepeats(one, many)
                                        + (scales && t == cores ? $"; the floor's own scaling in the same runs {floorScaling:F2}x, so {scaling / floorScaling:F2} of it" : ""));
                                }
                            }
                        }
                    if (modes.Length > 1)
                    {
                        foreach (int t in threads)
                            foreach (var meta in metaSources)
                                Console.WriteLine($"--threads {t}, meta-documents from {meta}, via {via}: with the cache {Median(synth[(t, modes[^1], meta, via, n)]) / Median(synth[(t, modes[0], meta, via, n)]):F2}x the time without");
                    }
                    if (metaSources.Length > 1)
                    {
                        foreach (int t in threads)
                            foreach (var mode in modes)
                                Console.WriteLine($"--threads {t}, --token-cache {mode}, via {via}: meta-documents from the index take {Median(synth[(t, mode, "index", via, n)]) / Median(synth[(t, mode, "corpus", via, n)]):F2}x the time of reading the corpus");
                    }
                }
                if (vias.Contains("library"))
                    foreach (var run in runs.Where(r => r.Via == "cli" && r.Samples == n))
                        Console.WriteLine($"--threads {run.Threads}, --token-cache {run.Mode}: the CLI process takes {Median(synth[run]) / Median(synth[run with { Via = "library" }]):F2}x the time of the library call in a warm process");
                if (sideBySide)
                {
                    var alone = synth[Alone(n)];
                    var pinnedMany = runs.Where(x => x.Via == "pinned" && x.Threads == cores && x.Samples == n).Select(x => synth[x]).FirstOrDefault();
                    double ceiling = cores * Median(alone) / Median(together[n]);
                    var ceilings = alone.Zip(together[n], (a, b) => cores * a / b).ToList();
                    Console.WriteLine($"side by side: {cores} copies of the pinned --threads 1 run at once took {Median(together[n]):F2} s (median), one alone {Median(alone):F2} s: "
                        + $"{cores} independent runs get {ceiling:F2}x the work of one done in a given time (within each repeat median {Median(ceilings):F2}x, {ceilings.Min():F2}-{ceilings.Max():F2}), "
                        + "the most a run on every core could scale on this machine"
                        + (pinnedMany is null ? "" : $"; --threads {cores} scales {Median(alone) / Median(pinnedMany) / ceiling:F2} of that"));
                }
                Console.WriteLine($"outputs identical across thread counts, cache modes, meta-document sources and library/CLI: {(outputs.Where(o => o.Key.Samples == n).Select(o => o.Value).Distinct().Count() == 1 ? "yes" : "NO")}");
            }
            if (sampleCounts.Length > 1 && threads.Contains(1))
            {
                // The extra documents of the largest count over the smallest, run for run within a repeat: the cost of a
                // document once a run is under way, which a long run is made of.
                int small = sampleCounts[0], large = sampleCounts[^1], extra = large - small;
                Console.WriteLine($"marginal: the {extra} documents of {large} beyond {small}");
                foreach (var via in vias)
                    foreach (var mode in modes)
                        foreach (var meta in metaSources)
                        {
                            var extraTime = threads.ToDictionary(t => t, t => synth[(t, mode, meta, via, large)].Zip(synth[(t, mode, meta, via, small)], (a, b) => a - b).ToList());
                            var one = extraTime[1];
                            Console.WriteLine($"  --threads 1, --token-cache {mode}, meta-documents from {meta}, via {via}: {Median(one) / extra * 1000:F2} ms a document (median over repeats)");
                            // A longer run that was not slower says the counts are too close for this machine's noise, or
                            // a warm-up is missing: no ratio of such differences means anything.
                            if (extraTime.Values.Any(times => times.Any(x => x <= 0)))
                            {
                                Console.WriteLine($"  no marginal scaling: a run of {large} documents was not slower than its run of {small}; use counts further apart, or --warmup");
                                continue;
                            }
                            foreach (int t in threads.Where(t => t != 1))
                            {
                                var many = extraTime[t];
                                Console.WriteLine($"  --threads {t}: {Median(many) / extra * 1000:F2} ms a document; marginal scaling {Median(one) / Median(many):F2}x (medians); "
                                    + WithinRepeats(one, many));
                            }
                        }
            }
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The ratio of one thread's time to many threads' within each repeat, as "within each repeat median X (min-max)":
    /// a repeat's runs are back to back, so a machine whose speed drifts over minutes moves both (the medians mix repeats).
    /// </summary>
    private static string WithinRepeats(List<double> one, List<double> many)
    {
        var paired = one.Zip(many, (a, b) => a / b).ToList();
        return $"within each repeat median {Median(paired):F2}x ({paired.Min():F2}-{paired.Max():F2})";
    }

    /// <summary>
    /// `taskset -c LIST` for <paramref name="threads"/> of the processors this process may run on, starting at the
    /// <paramref name="repeat"/>-th (round the list): a pinned run has as
    /// many processors as worker threads, so that --threads 1 is timed on one core (zstd's compression thread runs
    /// beside the worker when a second core is free) and the scaling says what each core adds.
    /// </summary>
    private static string[] OnCpus(int threads, int repeat)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("--via pinned runs the CLI under taskset (Linux)");
        long mask = (long)Process.GetCurrentProcess().ProcessorAffinity;
        var allowed = Enumerable.Range(0, 64).Where(c => (mask >> c & 1) != 0).ToList();
        if (allowed.Count < threads) throw new ArgumentException($"--via pinned: --threads {threads} needs {threads} processors, this process may use {allowed.Count}");
        // A different first processor each repeat: a virtual machine's processors are not equally fast at every moment
        // (the host's other work lands on one, then the other), and always timing --threads 1 on the same one biases
        // the scaling with whatever that one suffers.
        var cpus = Enumerable.Range(0, threads).Select(i => allowed[(repeat + i) % allowed.Count]).Order();
        return ["taskset", "-c", string.Join(",", cpus)];
    }

    /// <summary>Runs the CLI as a process: wall seconds from start to exit, the child's CPU seconds, its standard output.</summary>
    // Waits (up to 5 s) until this process uses under 2 % of a core over 250 ms: the JIT recompiles what the last
    // in-process run made hot on a thread of its own for a while after it, which would share the cores with a child
    // being timed.
    private static void WaitUntilIdle()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            Thread.Sleep(250);
            if ((Process.GetCurrentProcess().TotalProcessorTime - before).TotalMilliseconds < 5) return;
        }
    }

    // Others: what the rest of the machine used meanwhile (/proc/stat less the child), which a run on every core shares
    // its cores with and a pinned run leaves to the other cores; and what the hypervisor took from this machine.
    private static (double Wall, double Cpu, (double Busy, double Steal) Others, string Stdout) RunCli(IReadOnlyList<string> cli, string[] args)
    {
        var machineBefore = MachineCpuSeconds();
        double cpuBefore = ChildrenCpuSeconds();
        var clock = Stopwatch.StartNew();
        var (exitCode, stdout, stderr) = NExtLong.Tests.CliProcess.RunCommand(cli, TimeSpan.FromHours(1), args);
        double wall = clock.Elapsed.TotalSeconds;
        if (exitCode != 0) throw new InvalidOperationException($"the CLI exited {exitCode}: {stderr}");
        double cpu = ChildrenCpuSeconds() - cpuBefore;
        var machine = MachineCpuSeconds();
        return (wall, cpu, (Math.Max(0, machine.Busy - machineBefore.Busy - cpu), machine.Steal - machineBefore.Steal), stdout + stderr);
    }

    // The machine's busy (user, nice, system, irq, softirq) and stolen CPU seconds so far, all processors (/proc/stat, USER_HZ 100).
    private static (double Busy, double Steal) MachineCpuSeconds()
    {
        if (!File.Exists("/proc/stat")) return (0, 0);
        string[] f = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long At(int i) => f.Length > i ? long.Parse(f[i], System.Globalization.CultureInfo.InvariantCulture) : 0;
        return ((At(1) + At(2) + At(3) + At(6) + At(7)) / 100.0, At(8) / 100.0);
    }

    // The CPU of this process's waited-for children (getrusage RUSAGE_CHILDREN): an exited process's own counters are gone.
    private static double ChildrenCpuSeconds()
    {
        Span<long> usage = stackalloc long[18];
        if (GetRusage(-1, ref usage[0]) != 0) throw new InvalidOperationException("getrusage failed");
        return usage[0] + usage[1] / 1e6 + usage[2] + usage[3] / 1e6;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, ref long usage);

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

    /// <summary>EncodeToIds of every text on <paramref name="workers"/> threads, each with a tokenizer of its own (encode(worker, text) = its count).</summary>
    private static long Tokenize(List<string> texts, int workers, Func<int, string, int> encode)
    {
        long tokens = 0;
        int next = -1;
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            long mine = 0;
            for (int i; (i = Interlocked.Increment(ref next)) < texts.Count;)
                mine += encode(worker, texts[i]);
            Interlocked.Add(ref tokens, mine);
        });
        return tokens;
    }

    // Major page faults on the whole machine so far (/proc/vmstat): a run that had to read index pages from disk (a page
    // cache evicted between runs) is told apart from one that did not; 0 where the kernel does not say.
    private static long MajorFaults()
    {
        if (!File.Exists("/proc/vmstat")) return 0;
        foreach (string line in File.ReadLines("/proc/vmstat"))
            if (line.StartsWith("pgmajfault ", StringComparison.Ordinal))
                return long.Parse(line.AsSpan("pgmajfault ".Length));
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
