using System.Globalization;
using System.Text;
using NExtLong.Pipeline;

namespace NExtLong.Cli.Slurm;

/// <summary>The resources and behaviour of the Slurm jobs that `nextlong slurm` submits.</summary>
internal sealed record SlurmSettings
{
    public int DedupTasks { get; init; } = 4;
    public int IndexTasks { get; init; } = 4;
    public int SynthesisTasks { get; init; } = 4;
    /// <summary>At most this many tasks of an array run at once (sbatch's <c>--array=…%K</c>); null: no limit.</summary>
    public int? Throttle { get; init; }
    public string? Partition { get; init; }
    public string? Account { get; init; }
    public string Time { get; init; } = "24:00:00";
    public int CpusPerTask { get; init; } = 4;
    public string? Mem { get; init; }
    public bool Requeue { get; init; } = true;
    /// <summary>Extra lines, each written as <c>#SBATCH {line}</c> into every script.</summary>
    public IReadOnlyList<string> ExtraSbatch { get; init; } = [];

    public void Validate()
    {
        OptionValidationException.AtLeast(nameof(DedupTasks), DedupTasks, 1);
        OptionValidationException.AtLeast(nameof(IndexTasks), IndexTasks, 1);
        OptionValidationException.AtLeast(nameof(SynthesisTasks), SynthesisTasks, 1);
        if (Throttle is { } throttle) OptionValidationException.AtLeast(nameof(Throttle), throttle, 1);
        // Also the stages' thread count on the nodes.
        OptionValidationException.InRange(nameof(CpusPerTask), CpusPerTask, 1, ExecutionOptions.MaxThreads);
        // These become one word of an #SBATCH line; whitespace would split it and a newline would end the header.
        foreach (var (name, value) in new[] { ("--partition", Partition), ("--account", Account), ("--time", Time), ("--mem", Mem) })
        {
            if (value is not null && (value.Length == 0 || value.Any(char.IsWhiteSpace)))
                throw new ArgumentException($"{name} must be one word without spaces, not '{value}'");
        }
        foreach (var line in ExtraSbatch)
        {
            if (string.IsNullOrWhiteSpace(line) || line.Contains('\n') || line.Contains('\r'))
                throw new ArgumentException($"--sbatch-arg must be one non-empty line, not '{line}'");
        }
    }
}

/// <summary>
/// How and where the jobs of one submission run, whatever stages they hold: the command that starts the program on
/// a compute node, the folder the jobs start in, the output folder (scripts and logs go beside it, in OUT.slurm/)
/// and the resources.
/// </summary>
internal sealed record SlurmLaunch
{
    /// <summary>Shell command that starts the program (nextlong) on a compute node, inserted into the scripts as it is.</summary>
    public required string Nextlong { get; init; }
    /// <summary>The folder the submission was made in; the jobs cd there so relative inputs mean the same.</summary>
    public required string WorkingDirectory { get; init; }
    public required string OutDir { get; init; }
    public SlurmSettings Settings { get; init; } = new();
}

/// <summary>
/// A distributed stage as two scripts: a job array whose task i runs the stage's command as rank i of
/// <paramref name="Tasks"/>, then one merge job, after all of the array's tasks, running it with --merge.
/// </summary>
/// <param name="Name">The array's step name; the merge's is NAME-merge.</param>
/// <param name="Command">The program's words for the stage, without --rank, --world-size or --merge (the scripts add them).</param>
/// <param name="RankWork">What a task does and <paramref name="MergeWork"/> what the merge does, for the scripts' comments.</param>
internal sealed record SlurmStage(string Name, IReadOnlyList<string> Command, int Tasks, string RankWork, string MergeWork);

/// <summary>`run`'s dedup step on the cluster: its output folder (OUT/dedup) and `nextlong dedup`'s options (method, inputs, corpus flags).</summary>
internal sealed record SlurmDedup(string OutDir, IReadOnlyList<string> Args);

/// <summary>What `nextlong slurm`'s scripts run: the launch, the dedup step (null: none), the index folder and the stage options to forward.</summary>
internal sealed record SlurmPlan
{
    public required SlurmLaunch Launch { get; init; }
    public SlurmDedup? Dedup { get; init; }
    public required string IndexDir { get; init; }
    /// <summary>Options for `nextlong index`, already split into words (without --out, --rank, --world-size, --merge).</summary>
    public required IReadOnlyList<string> IndexArgs { get; init; }
    /// <summary>Options for `nextlong synthesize` (without --index, --out, --rank, --world-size, --merge).</summary>
    public required IReadOnlyList<string> SynthesisArgs { get; init; }
    /// <summary>--threads for every stage; null: the allocation's --cpus-per-task.</summary>
    public int? Threads { get; init; }
}

/// <summary>One sbatch script of the pipeline.</summary>
/// <param name="Step">index, index-merge, synthesize or synthesize-merge.</param>
/// <param name="Tasks">Array size; 0 for a single job.</param>
/// <param name="LogPattern">Slurm's --output pattern (%A, %a for arrays; %j otherwise).</param>
internal sealed record SlurmScript(string Step, string Path, string Text, int Tasks, string LogPattern)
{
    public bool IsArray => Tasks > 0;

    /// <summary>The log file of one task (or of the single job when <paramref name="task"/> is null).</summary>
    public string LogPath(long jobId, int? task) => LogPattern
        .Replace("%A", jobId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("%j", jobId.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("%a", task?.ToString(CultureInfo.InvariantCulture) ?? "%a", StringComparison.Ordinal);
}

/// <summary>
/// Renders sbatch scripts for distributed stages, each a job array and its merge, into OUT.slurm/ (beside the
/// output folder, so that it holds only the output), logs in OUT.slurm/logs/. Each script is submitted with afterok
/// on the one before; for an array that means all of its tasks. `nextlong slurm` renders three stages: dedup (unless
/// --dedup none), index, then synthesize.
/// </summary>
internal static class SlurmPipeline
{
    public static string ScriptDirectory(string outDir) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir)) + ".slurm";

    /// <summary>`nextlong slurm`'s stages: the dedup array and merge (unless none), the index array and merge, then the synthesis array and merge.</summary>
    public static IReadOnlyList<SlurmStage> Stages(SlurmPlan plan)
    {
        if (!Path.IsPathFullyQualified(plan.IndexDir)) throw new ArgumentException($"--index must be an absolute path here, not '{plan.IndexDir}'");
        var (launch, s) = (plan.Launch, plan.Launch.Settings);
        string[] threads = ["--threads", (plan.Threads ?? s.CpusPerTask).ToString(CultureInfo.InvariantCulture)];
        IEnumerable<SlurmStage> dedup = plan.Dedup is { } d
            ? [new SlurmStage("dedup", ["dedup", "--out", d.OutDir, .. d.Args, .. threads], s.DedupTasks,
                $"Array task i signs share i of {s.DedupTasks} (the input files) into {d.OutDir}.work/.",
                $"After every dedup task succeeded: clusters the signatures and writes the kept records to {d.OutDir}, which index and synthesize read.")]
            : [];
        return
        [
            .. dedup,
            new SlurmStage("index", ["index", "--out", plan.IndexDir, .. plan.IndexArgs, .. threads], s.IndexTasks,
                $"Array task i indexes share i of {s.IndexTasks} (the input files) into {plan.IndexDir}.work/.",
                $"After every index task succeeded: merges the shares into {plan.IndexDir}."),
            new SlurmStage("synthesize", ["synthesize", "--index", plan.IndexDir, "--out", launch.OutDir, .. plan.SynthesisArgs, .. threads], s.SynthesisTasks,
                $"Array task i synthesizes share i of {s.SynthesisTasks} into {launch.OutDir}.work/.",
                $"After every synthesis task succeeded: merges the shares into the dataset {launch.OutDir}."),
        ];
    }

    /// <summary>Per stage in order, its array script (2i+1-NAME.sbatch) and its merge script (2i+2-NAME-merge.sbatch).</summary>
    public static IReadOnlyList<SlurmScript> Render(SlurmLaunch launch, IReadOnlyList<SlurmStage> stages)
    {
        launch.Settings.Validate();
        if (string.IsNullOrWhiteSpace(launch.Nextlong) || launch.Nextlong.Contains('\n') || launch.Nextlong.Contains('\r'))
            throw new ArgumentException($"--nextlong must be one non-empty line, not '{launch.Nextlong}'");
        foreach (var (name, path) in new[] { ("working directory", launch.WorkingDirectory), ("--out", launch.OutDir) })
        {
            if (!Path.IsPathFullyQualified(path)) throw new ArgumentException($"{name} must be an absolute path here, not '{path}'");
        }
        string dir = ScriptDirectory(launch.OutDir);
        string logs = Path.Combine(dir, "logs");
        var scripts = new List<SlurmScript>();
        foreach (var stage in stages)
        {
            if (stage.Tasks < 1) throw new ArgumentException($"the {stage.Name} array needs at least 1 task, not {stage.Tasks}");
            int n = scripts.Count;
            scripts.Add(Script(launch, Path.Combine(dir, $"{n + 1}-{stage.Name}.sbatch"), stage.Name, stage.Tasks, Path.Combine(logs, $"{stage.Name}-%A_%a.log"),
                stage.Command, dependent: n > 0, stage.RankWork, n + 1, 2 * stages.Count));
            scripts.Add(Script(launch, Path.Combine(dir, $"{n + 2}-{stage.Name}-merge.sbatch"), $"{stage.Name}-merge", 0, Path.Combine(logs, $"{stage.Name}-merge-%j.log"),
                stage.Command, dependent: true, stage.MergeWork, n + 2, 2 * stages.Count));
        }
        return scripts;
    }

    /// <summary>`nextlong slurm`'s scripts, written.</summary>
    public static IReadOnlyList<SlurmScript> Write(SlurmPlan plan) => Write(plan.Launch, Stages(plan));

    /// <summary>Writes the scripts (executable) and creates the logs folder; returns the scripts.</summary>
    public static IReadOnlyList<SlurmScript> Write(SlurmLaunch launch, IReadOnlyList<SlurmStage> stages)
    {
        var scripts = Render(launch, stages);
        string dir = ScriptDirectory(launch.OutDir);
        Directory.CreateDirectory(Path.Combine(dir, "logs"));
        foreach (var script in scripts)
        {
            AtomicFile.WriteAllText(script.Path, script.Text);
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(script.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
        return scripts;
    }

    /// <summary>The sbatch calls that submit <paramref name="scripts"/> in order, each after the one before, as bash.</summary>
    public static string SubmitCommands(IReadOnlyList<SlurmScript> scripts)
    {
        var text = new StringBuilder();
        string? previous = null;
        foreach (var script in scripts)
        {
            string variable = script.Step.Replace('-', '_');
            text.Append(variable).Append("=$(sbatch ").Append(string.Join(' ', SbatchArguments(script.Path, previous is null ? null : "$" + previous).Select(BashQuoteUnlessVariable)))
                .Append(")\n");
            previous = variable;
        }
        return text.ToString();
    }

    /// <summary>sbatch's arguments for one script; <paramref name="afterOk"/> is the job it waits for.</summary>
    public static IReadOnlyList<string> SbatchArguments(string scriptPath, string? afterOk)
        => afterOk is null ? ["--parsable", scriptPath] : ["--parsable", $"--dependency=afterok:{afterOk}", scriptPath];

    /// <summary>
    /// <paramref name="word"/> as one bash word: unchanged when it holds only characters bash never interprets,
    /// otherwise in single quotes (inside which nothing is special), each ' written as '\''.
    /// </summary>
    public static string BashQuote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-+=:,./@%".Contains(c)))
            return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    private static string BashQuoteUnlessVariable(string word)
        => word.StartsWith("--dependency=afterok:$", StringComparison.Ordinal) ? word : BashQuote(word);

    private static SlurmScript Script(SlurmLaunch launch, string path, string step, int tasks, string logPattern, IReadOnlyList<string> command, bool dependent,
        string what, int number, int count)
    {
        var s = launch.Settings;
        var text = new StringBuilder();
        text.Append("#!/bin/bash\n");
        void Sbatch(string line) => text.Append("#SBATCH ").Append(line).Append('\n');
        Sbatch($"--job-name={JobName(launch.OutDir, step)}");
        if (tasks > 0) Sbatch($"--array=0-{tasks - 1}{(s.Throttle is { } k ? $"%{k}" : "")}");
        Sbatch("--ntasks=1");
        Sbatch($"--cpus-per-task={s.CpusPerTask}");
        Sbatch($"--time={s.Time}");
        if (s.Mem is not null) Sbatch($"--mem={s.Mem}");
        if (s.Partition is not null) Sbatch($"--partition={s.Partition}");
        if (s.Account is not null) Sbatch($"--account={s.Account}");
        Sbatch(s.Requeue ? "--requeue" : "--no-requeue");
        // A requeued task appends to its log instead of erasing the earlier attempt's.
        Sbatch("--open-mode=append");
        Sbatch($"--output={SbatchPath(logPattern)}");
        // Without it a job whose dependency failed stays pending forever.
        if (dependent) Sbatch("--kill-on-invalid-dep=yes");
        foreach (var line in s.ExtraSbatch) Sbatch(line);
        text.Append("#\n");
        text.Append($"# Script {number} of {count}: submit them in order, each with sbatch --dependency=afterok:<the previous one's job id>.\n");
        text.Append("# ").Append(what).Append('\n');
        text.Append("# Rerunning is safe: finished work is kept and a stage with nothing left to do exits 0 at once.\n");
        text.Append("set -euo pipefail\n");
        text.Append("cd ").Append(BashQuote(launch.WorkingDirectory)).Append('\n');

        string tail;
        if (tasks > 0)
        {
            // The rank is the array index and the world size is fixed here rather than read from
            // SLURM_ARRAY_TASK_COUNT, so that resubmitting one failed task (sbatch --array=2 this-script) still
            // does share 2 of the same split.
            text.Append($"rank=\"${{SLURM_ARRAY_TASK_ID:?this is a Slurm array job: submit it with sbatch}}\"\n");
            text.Append($"if (( rank < 0 || rank >= {tasks} )); then echo \"array task $rank is outside 0-{tasks - 1}\" >&2; exit 1; fi\n");
            text.Append($"echo \"nextlong {step}: task $rank of {tasks} on $(hostname), job ${{SLURM_ARRAY_JOB_ID:-?}}_$rank\" >&2\n");
            tail = $" \\\n  --rank \"$rank\" --world-size {tasks}";
        }
        else
        {
            text.Append($"echo \"nextlong {step}: on $(hostname), job ${{SLURM_JOB_ID:-?}}\" >&2\n");
            tail = " \\\n  --merge";
        }
        text.Append(launch.Nextlong);
        foreach (var (word, i) in command.Select((w, i) => (w, i)))
        {
            // One option per line: a word starting with -- begins a new line, its values follow on it.
            bool option = word.StartsWith("--", StringComparison.Ordinal) && i > 0;
            text.Append(option ? " \\\n  " : " ").Append(BashQuote(word));
        }
        text.Append(tail).Append('\n');
        return new SlurmScript(step, path, text.ToString(), tasks, logPattern);
    }

    // Paths in #SBATCH lines are not shell-parsed; a space would split the option, so such paths are refused.
    private static string SbatchPath(string path)
        => path.Any(char.IsWhiteSpace)
            ? throw new ArgumentException($"the log path '{path}' contains whitespace, which #SBATCH --output cannot take; choose an --out path without spaces")
            : path;

    private static string JobName(string outDir, string step)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(outDir));
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
        return $"nextlong-{step}-{safe}";
    }
}
