using System.Globalization;
using System.Text;
using NExtLong.Pipeline;

namespace NExtLong.Cli.Slurm;

/// <summary>The resources and behaviour of the Slurm jobs that `nextlong slurm` submits.</summary>
internal sealed record SlurmSettings
{
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

/// <summary>What the four scripts run: absolute folders, the stage options to forward, and how nodes start nextlong.</summary>
internal sealed record SlurmPlan
{
    /// <summary>Shell command that starts nextlong on a compute node, inserted into the scripts as it is.</summary>
    public required string Nextlong { get; init; }
    /// <summary>The folder `nextlong slurm` ran in; the jobs cd there so relative inputs mean the same.</summary>
    public required string WorkingDirectory { get; init; }
    public required string OutDir { get; init; }
    public required string IndexDir { get; init; }
    /// <summary>Options for `nextlong index`, already split into words (without --out, --rank, --world-size, --merge).</summary>
    public required IReadOnlyList<string> IndexArgs { get; init; }
    /// <summary>Options for `nextlong synthesize` (without --index, --out, --rank, --world-size, --merge).</summary>
    public required IReadOnlyList<string> SynthesisArgs { get; init; }
    /// <summary>--threads for every stage; null: the allocation's --cpus-per-task.</summary>
    public int? Threads { get; init; }
    public SlurmSettings Settings { get; init; } = new();
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
/// Renders `nextlong slurm`'s four sbatch scripts: index array, index merge, synthesize array, synthesize merge,
/// into OUT.slurm/ (beside the dataset folder, so that the dataset folder holds only the dataset), logs in
/// OUT.slurm/logs/. Each is submitted with afterok on the one before; for an array that means all of its tasks.
/// </summary>
internal static class SlurmPipeline
{
    public static string ScriptDirectory(string outDir) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir)) + ".slurm";

    public static IReadOnlyList<SlurmScript> Render(SlurmPlan plan)
    {
        plan.Settings.Validate();
        if (string.IsNullOrWhiteSpace(plan.Nextlong) || plan.Nextlong.Contains('\n') || plan.Nextlong.Contains('\r'))
            throw new ArgumentException($"--nextlong must be one non-empty line, not '{plan.Nextlong}'");
        foreach (var (name, path) in new[] { ("working directory", plan.WorkingDirectory), ("--out", plan.OutDir), ("--index", plan.IndexDir) })
        {
            if (!Path.IsPathFullyQualified(path)) throw new ArgumentException($"{name} must be an absolute path here, not '{path}'");
        }
        string dir = ScriptDirectory(plan.OutDir);
        string logs = Path.Combine(dir, "logs");
        var s = plan.Settings;
        string[] indexCommand = ["index", "--out", plan.IndexDir, .. plan.IndexArgs];
        string[] synthCommand = ["synthesize", "--index", plan.IndexDir, "--out", plan.OutDir, .. plan.SynthesisArgs];
        return
        [
            Script(plan, Path.Combine(dir, "1-index.sbatch"), "index", s.IndexTasks, Path.Combine(logs, "index-%A_%a.log"), indexCommand, dependent: false,
                $"Array task i indexes share i of {s.IndexTasks} (the input files) into {plan.IndexDir}.work/."),
            Script(plan, Path.Combine(dir, "2-index-merge.sbatch"), "index-merge", 0, Path.Combine(logs, "index-merge-%j.log"), indexCommand, dependent: true,
                $"After every index task succeeded: merges the shares into {plan.IndexDir}."),
            Script(plan, Path.Combine(dir, "3-synthesize.sbatch"), "synthesize", s.SynthesisTasks, Path.Combine(logs, "synthesize-%A_%a.log"), synthCommand, dependent: true,
                $"Array task i synthesizes share i of {s.SynthesisTasks} into {plan.OutDir}.work/."),
            Script(plan, Path.Combine(dir, "4-synthesize-merge.sbatch"), "synthesize-merge", 0, Path.Combine(logs, "synthesize-merge-%j.log"), synthCommand, dependent: true,
                $"After every synthesis task succeeded: merges the shares into the dataset {plan.OutDir}."),
        ];
    }

    /// <summary>Writes the scripts (executable) and creates the logs folder; returns the scripts.</summary>
    public static IReadOnlyList<SlurmScript> Write(SlurmPlan plan)
    {
        var scripts = Render(plan);
        string dir = ScriptDirectory(plan.OutDir);
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

    private static SlurmScript Script(SlurmPlan plan, string path, string step, int tasks, string logPattern, string[] command, bool dependent, string what)
    {
        var s = plan.Settings;
        var text = new StringBuilder();
        text.Append("#!/bin/bash\n");
        void Sbatch(string line) => text.Append("#SBATCH ").Append(line).Append('\n');
        Sbatch($"--job-name={JobName(plan.OutDir, step)}");
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
        text.Append("# Written by `nextlong slurm`; submit all four in order with the sbatch calls that `nextlong slurm --dry-run` prints.\n");
        text.Append("# ").Append(what).Append('\n');
        text.Append("# Rerunning is safe: finished work is kept and a stage with nothing left to do exits 0 at once.\n");
        text.Append("set -euo pipefail\n");
        text.Append("cd ").Append(BashQuote(plan.WorkingDirectory)).Append('\n');

        string[] args = [.. command, "--threads", (plan.Threads ?? s.CpusPerTask).ToString(CultureInfo.InvariantCulture)];
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
        text.Append(plan.Nextlong);
        foreach (var (word, i) in args.Select((w, i) => (w, i)))
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
