using System.CommandLine;
using NExtLong.Cli.Slurm;
using NExtLong.Corpus;
using NExtLong.Dedup;
using NExtLong.Pipeline;

namespace NExtLong.Cli;

/// <summary>
/// `nextlong slurm`: the `run` pipeline as sbatch scripts (dedup array and merge unless --dedup none, index array,
/// index merge, synthesize array, synthesize merge) chained by afterok, written to OUT.slurm/ and submitted; --wait follows them to the end.
/// </summary>
internal static class SlurmCommand
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);

    public static Command Build()
    {
        var command = new Command("slurm", "Run the whole pipeline on a Slurm cluster: write sbatch job arrays for dedup (unless --dedup none), index and synthesize (each followed by a merge job) to OUT.slurm/ and submit them as a dependency chain.");
        var outOption = new Option<string>("--out", "-o") { Description = "Output folder (on a file system the compute nodes share); the scripts and logs go to OUT.slurm/.", Required = true };
        var indexOption = new Option<string?>("--index") { Description = "Index folder (default OUT/index)." };
        var dedupTasks = new Option<int>("--dedup-tasks") { Description = "Tasks of the dedup job array (unless --dedup none), at least 1 (the input files are split among them).", DefaultValueFactory = _ => 4 };
        var indexTasks = new Option<int>("--index-tasks") { Description = "Tasks of the index job array, at least 1 (the input files are split among them).", DefaultValueFactory = _ => 4 };
        var synthTasks = new Option<int>("--synthesis-tasks") { Description = "Tasks of the synthesize job array, at least 1.", DefaultValueFactory = _ => 4 };
        var throttle = new Option<int?>("--throttle") { Description = "At most this many tasks of an array run at once, at least 1 (sbatch --array=…%K)." };
        var partition = new Option<string?>("--partition") { Description = "Slurm partition." };
        var account = new Option<string?>("--account") { Description = "Slurm account to charge." };
        var time = new Option<string>("--time") { Description = "Time limit of each job and task.", DefaultValueFactory = _ => "24:00:00" };
        var cpus = new Option<int>("--cpus-per-task") { Description = "CPUs of each job and task, 1 to 1024; also the stages' --threads unless --threads is given.", DefaultValueFactory = _ => 4 };
        var mem = new Option<string?>("--mem") { Description = "Memory of each job and task, e.g. 16G (default: the cluster's)." };
        var requeue = new Option<bool>("--requeue") { Description = "Let Slurm requeue preempted or failed-node jobs (#SBATCH --requeue); the stages are rerunnable.", DefaultValueFactory = _ => true };
        var noRequeue = new Option<bool>("--no-requeue") { Description = "Never requeue (#SBATCH --no-requeue)." };
        var sbatchArgs = new Option<string[]>("--sbatch-arg") { Description = "Extra #SBATCH line for every script, e.g. --sbatch-arg=--qos=long. Repeatable." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Write and print the scripts and the sbatch commands; submit nothing." };
        var nextlong = new Option<string?>("--nextlong") { Description = "Shell command that starts nextlong on a compute node (default: the one running now: the checkout's ./nextlong when it started this command, which gives each kind of CPU its own native build; else this program)." };
        var wait = new Option<bool>("--wait") { Description = "After submitting, wait for the jobs to end; exit non-zero if any failed, naming its log." };

        foreach (var o in NExtLongCommand.RunOptions(indexOption, outOption).Append(NExtLongCommand.Dedup)) command.Add(o);
        foreach (var o in new Option[] { dedupTasks, indexTasks, synthTasks, throttle, partition, account, time, cpus, mem, requeue, noRequeue, sbatchArgs, dryRun, nextlong, wait }) command.Add(o);

        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            if (r.GetResult(requeue) is { Implicit: false } && r.GetValue(noRequeue))
                throw new ArgumentException("--requeue and --no-requeue contradict each other");
            string outDir = Path.GetFullPath(r.GetValue(outOption)!);
            string indexDir = Path.GetFullPath(r.GetValue(indexOption) ?? Path.Combine(outDir, "index"));
            var method = NExtLongCommand.ParseEnum<DedupMethod>(r.GetValue(NExtLongCommand.Dedup)!, "--dedup");
            string dedupDir = Path.Combine(outDir, "dedup");
            var settings = new SlurmSettings
            {
                DedupTasks = r.GetValue(dedupTasks),
                IndexTasks = r.GetValue(indexTasks),
                SynthesisTasks = r.GetValue(synthTasks),
                Throttle = r.GetValue(throttle),
                Partition = r.GetValue(partition),
                Account = r.GetValue(account),
                Time = r.GetValue(time)!,
                CpusPerTask = r.GetValue(cpus),
                Mem = r.GetValue(mem),
                Requeue = r.GetValue(requeue) && !r.GetValue(noRequeue),
                ExtraSbatch = r.GetValue(sbatchArgs) ?? [],
            };
            Option[] own = [outOption, indexOption, NExtLongCommand.Threads];
            // With dedup, index and synthesize read its shards (each source's, under its name and weight), as in `run`.
            IReadOnlyList<string> inputs = [];
            if (method != DedupMethod.None)
            {
                own = [.. own, NExtLongCommand.Input];
                inputs = ["--input", .. DedupStage.ShardInputs(NExtLongCommand.BindCorpus(r), dedupDir)];
            }
            var plan = new SlurmPlan
            {
                Launch = new SlurmLaunch
                {
                    Nextlong = r.GetValue(nextlong) ?? CurrentNextlong(),
                    WorkingDirectory = Environment.CurrentDirectory,
                    OutDir = outDir,
                    Settings = settings,
                },
                IndexDir = indexDir,
                Dedup = method == DedupMethod.None ? null : new SlurmDedup(dedupDir,
                    ["--method", NExtLongCommand.CliName(method), .. Forwarded(r, [NExtLongCommand.Input, .. NExtLongCommand.CorpusFlags, NExtLongCommand.Overwrite])]),
                IndexArgs = [.. inputs, .. Forwarded(r, NExtLongCommand.IndexOptions(outOption).Except(own))],
                SynthesisArgs = [.. inputs, .. Forwarded(r, NExtLongCommand.SynthesisOptions(indexOption, outOption).Except(own)),
                    .. method == DedupMethod.None ? [] : new[] { "--dedup-output", dedupDir }],
                Threads = r.GetResult(NExtLongCommand.Threads) is { Implicit: false } ? r.GetValue(NExtLongCommand.Threads) : null,
            };
            // Every option is checked here, before a script is written or a job submitted, not on the cluster.
            settings.Validate();
            NExtLongCommand.IndexStageOptions(r, indexDir);
            NExtLongCommand.SynthesisStageOptions(r, indexDir, outDir);
            if (method != DedupMethod.None) DedupCommand.Options(r, dedupDir, method);
            var corpus = NExtLongCommand.BindCorpus(r);
            foreach (string dir in method == DedupMethod.None ? [outDir, indexDir] : new[] { outDir, indexDir, dedupDir })
                corpus.RequireApartFrom(dir);
            CheckInputs(r, method == DedupMethod.None ? settings.IndexTasks : Math.Max(settings.DedupTasks, settings.IndexTasks));
            return Run(plan, r.GetValue(dryRun), r.GetValue(wait), ct);
        })));
        return command;
    }

    private static int Run(SlurmPlan plan, bool dryRun, bool wait, CancellationToken ct)
    {
        string dir = SlurmPipeline.ScriptDirectory(plan.Launch.OutDir);
        string jobsFile = Path.Combine(dir, SlurmJobs.JobsFile);
        var client = new SlurmClient();
        if (!dryRun)
        {
            // Two chains writing the same folders at once would race each other's merges.
            var earlier = SlurmJobs.ReadJobIds(jobsFile);
            if (earlier.Count > 0 && client.Queue(earlier).Count > 0)
                throw new InvalidOperationException($"jobs of an earlier submission ({string.Join(' ', earlier)}, see {jobsFile}) are still queued or running; wait for them or scancel them first");
        }
        var scripts = SlurmPipeline.Write(plan);
        if (dryRun)
        {
            foreach (var script in scripts)
                Console.Out.Write($"# ==> {script.Path} <==\n{script.Text}\n");
            Console.Out.Write("# Submit, each job after the one before succeeded (afterok on an array waits for all its tasks):\n");
            Console.Out.Write(SlurmPipeline.SubmitCommands(scripts));
            Console.Error.WriteLine($"slurm: dry run: {scripts.Count} scripts written to {dir}; nothing submitted");
            return 0;
        }

        var jobs = SlurmJobs.Submit(client, scripts);
        SlurmJobs.WriteJobsFile(jobsFile, jobs);
        foreach (var job in jobs)
            Console.Out.WriteLine($"{job.Script.Step,-17} {job.Id}{(job.Script.IsArray ? $"  array 0-{job.Script.Tasks - 1}" : "")}");
        Console.Error.WriteLine($"slurm: submitted {jobs.Count} jobs, each after the one before; ids in {jobsFile}, logs in {Path.Combine(dir, "logs")}");
        if (!wait) return 0;

        IReadOnlyList<SlurmJobOutcome> outcomes;
        try
        {
            outcomes = SlurmJobs.Wait(client, jobs, Poll, line => Console.Error.WriteLine($"slurm: {line}"), ct);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"slurm: stopped waiting; the jobs keep running (scancel {string.Join(' ', jobs.Select(j => j.Id))} stops them)");
            return 130;
        }
        var failed = outcomes.Where(o => !o.Succeeded).ToList();
        if (failed.Count == 0)
        {
            Console.Error.WriteLine($"slurm: all {jobs.Count} jobs completed → {plan.Launch.OutDir}");
            return 0;
        }
        foreach (var o in failed)
        {
            string log = o.LogPath is { } path && File.Exists(path) ? $"; log: {path}" : "";
            Console.Error.WriteLine($"slurm: {o.Name}: {o.State}{(o.Reason is "" or "None" ? "" : $" ({o.Reason})")}{(o.ExitCode is "" or "0:0" ? "" : $", exit code {o.ExitCode}")}{log}");
        }
        // The first failure that left a log is usually the cause; the jobs after it were only cancelled.
        if (failed.FirstOrDefault(o => o.LogPath is { } p && File.Exists(p)) is { } first)
        {
            Console.Error.WriteLine($"slurm: last lines of {first.LogPath}:");
            // Enough lines to reach past a usage text to the error printed above it.
            foreach (var line in File.ReadLines(first.LogPath!).TakeLast(40))
                Console.Error.WriteLine($"  {line}");
        }
        Console.Error.WriteLine($"nextlong: error: {failed.Count} of {outcomes.Count} Slurm jobs or tasks did not complete");
        return 1;
    }

    /// <summary>
    /// The options the user gave, as words for the stage's command line: --name once per value (--name alone for
    /// a flag), in the stage's option order. Options left at their defaults are not written, so the stage applies
    /// its own defaults exactly as `run` would.
    /// </summary>
    private static IReadOnlyList<string> Forwarded(ParseResult r, IEnumerable<Option> options)
    {
        var words = new List<string>();
        foreach (var option in options)
        {
            if (r.GetResult(option) is not { Implicit: false } result) continue;
            if (result.Tokens.Count == 0)
            {
                words.Add(option.Name);
                continue;
            }
            foreach (var token in result.Tokens)
            {
                // --name=value keeps a value that starts with '-' (or '@', a response file) from being read as
                // an option (or a file to expand) by the stage's parser.
                if (token.Value is ['-' or '@', ..]) words.Add($"{option.Name}={token.Value}");
                else words.AddRange([option.Name, token.Value]);
            }
        }
        return words;
    }

    // Checks the inputs here rather than on the cluster, and says when some index tasks will have nothing to do.
    private static void CheckInputs(ParseResult r, int indexTasks)
    {
        var sources = CorpusInputs.Parse(r.GetValue(NExtLongCommand.Input)!, r.GetValue(NExtLongCommand.TextField), r.GetValue(NExtLongCommand.IdField));
        int files = sources.Sum(s => CorpusReader.ResolveFiles(s).Count);
        if (files < indexTasks)
            Console.Error.WriteLine($"slurm: warning: {indexTasks} index tasks for {files} input file{(files == 1 ? "" : "s")}; the files are the units of work, so {indexTasks - files} of the tasks will have nothing to do");
    }

    /// <summary>
    /// How this process was started: the checkout's `./nextlong` when it started this very program (it exports
    /// NEXTLONG_LAUNCH and NEXTLONG_LAUNCHED; a node whose CPU differs then gets a native build of its own instead of
    /// one that may not start there), else `dotnet /abs/NExtLong.Cli.dll`, or the executable's absolute path (the
    /// native build, or the apphost).
    /// </summary>
    private static string CurrentNextlong()
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("cannot tell how nextlong was started; pass --nextlong");
        // A native build is its own executable; a JIT-compiled one runs as `dotnet NExtLong.Cli.dll`, from its folder.
        string dll = Path.Combine(AppContext.BaseDirectory, "NExtLong.Cli.dll");
        bool viaDotnet = Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase) && File.Exists(dll);
        string program = viaDotnet ? dll : host;
        if (Environment.GetEnvironmentVariable("NEXTLONG_LAUNCH") is { Length: > 0 } launch
            && Environment.GetEnvironmentVariable("NEXTLONG_LAUNCHED") is { } launched
            && Path.GetFullPath(launched) == Path.GetFullPath(program))
            return launch;
        return viaDotnet ? $"{SlurmPipeline.BashQuote(host)} {SlurmPipeline.BashQuote(dll)}" : SlurmPipeline.BashQuote(host);
    }
}
