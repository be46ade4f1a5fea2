using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using NExtLong.Pipeline;

namespace NExtLong.Cli.Slurm;

/// <summary>A submitted script and its Slurm job id (for an array, the array's job id).</summary>
internal sealed record SlurmJob(SlurmScript Script, long Id);

/// <summary>The end of one job, or of one task of an array, as slurmctld reports it.</summary>
/// <param name="Task">Array index; null for a single job, or for an array whose tasks never started.</param>
internal sealed record SlurmJobOutcome(SlurmJob Job, int? Task, string State, string Reason, string ExitCode)
{
    public bool Succeeded => State == "COMPLETED";

    public string Name => Task is { } t ? $"{Job.Script.Step} task {t} (job {Job.Id}_{t})" : $"{Job.Script.Step} (job {Job.Id})";

    /// <summary>The log file, when the job got far enough to have one.</summary>
    public string? LogPath => Job.Script.IsArray && Task is null ? null : Job.Script.LogPath(Job.Id, Task);
}

/// <summary>Runs Slurm's client commands (sbatch, squeue, scontrol, scancel) and turns failures into clear errors.</summary>
internal sealed partial class SlurmClient
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Submits <paramref name="script"/> (after <paramref name="afterOk"/> succeeded, when given); returns its job id.</summary>
    public long Submit(string script, long? afterOk)
    {
        var args = SlurmPipeline.SbatchArguments(script, afterOk?.ToString(CultureInfo.InvariantCulture));
        string output = Run("sbatch", args).Trim();
        // --parsable prints "id" or "id;cluster".
        string id = output.Split(';')[0];
        return long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out long job)
            ? job
            : throw new InvalidOperationException($"`{CommandLine("sbatch", args)}` printed '{output}', not a job id");
    }

    /// <summary>The queue entries (pending, running, completing) of <paramref name="ids"/>: (job or task id, state, reason).</summary>
    public IReadOnlyList<(string Id, string State, string Reason)> Queue(IReadOnlyCollection<long> ids)
    {
        string[] args = ["-h", "-j", string.Join(',', ids), "-o", "%i|%T|%r"];
        string output;
        try
        {
            output = Run("squeue", args);
        }
        catch (SlurmCommandException e) when (e.Stderr.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
        {
            return []; // every job has ended and slurmctld has forgotten it
        }
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split('|'))
            .Select(f => (f[0], f.Length > 1 ? f[1] : "", f.Length > 2 ? f[2] : ""))];
    }

    /// <summary>`scontrol show job -o ID`: one record per job, or per task of an array; empty when slurmctld forgot the job.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, string>> ShowJob(long id)
    {
        string output;
        try
        {
            output = Run("scontrol", ["show", "job", "-o", id.ToString(CultureInfo.InvariantCulture)]);
        }
        catch (SlurmCommandException e) when (e.Stderr.Contains("Invalid job id", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(ParseRecord)];
    }

    public void Cancel(IEnumerable<long> ids) => Run("scancel", [.. ids.Select(i => i.ToString(CultureInfo.InvariantCulture))]);

    /// <summary>
    /// One line of `scontrol show job -o`: Key=Value fields separated by spaces. A value runs until the next
    /// " Key=", so values with spaces (paths, commands) stay whole.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ParseRecord(string line)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = KeyPattern().Matches(line);
        for (int i = 0; i < keys.Count; i++)
        {
            int start = keys[i].Index + keys[i].Length;
            int end = i + 1 < keys.Count ? keys[i + 1].Index : line.Length;
            fields[keys[i].Groups[1].Value] = line[start..end].Trim();
        }
        return fields;
    }

    [GeneratedRegex(@"(?:^|(?<=\s))([A-Za-z][A-Za-z0-9_:/]*)=")]
    private static partial Regex KeyPattern();

    private static string Run(string command, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"`{CommandLine(command, args)}` could not be started: {e.Message}. Is Slurm's {command} installed and on PATH (run this on a Slurm login node)?", e);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(CommandTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw new SlurmCommandException(command, args, -1, $"no answer within {CommandTimeout.TotalSeconds:F0} s");
            }
            if (process.ExitCode != 0)
                throw new SlurmCommandException(command, args, process.ExitCode, stderr.Result.Trim() is { Length: > 0 } err ? err : stdout.Result.Trim());
            return stdout.Result;
        }
    }

    internal static string CommandLine(string command, IEnumerable<string> args) => string.Join(' ', args.Prepend(command).Select(SlurmPipeline.BashQuote));
}

/// <summary>A Slurm command that ran and failed; the message names the command and what it printed.</summary>
internal sealed class SlurmCommandException(string command, IReadOnlyList<string> args, int exitCode, string stderr)
    : InvalidOperationException($"`{SlurmClient.CommandLine(command, args)}` failed (exit code {exitCode}): {(stderr.Length > 0 ? stderr : "(no output)")}")
{
    public string Stderr { get; } = stderr;
}

/// <summary>Submitting the pipeline's scripts as a dependency chain, jobs.json, and waiting for the chain to end.</summary>
internal static class SlurmJobs
{
    public const string JobsFile = "jobs.json";

    /// <summary>
    /// Submits the scripts in order, each with afterok on the one before (for an array job id, afterok waits for
    /// all of its tasks). If a submission fails, the jobs already submitted are cancelled so nothing half-chained
    /// is left behind.
    /// </summary>
    public static IReadOnlyList<SlurmJob> Submit(SlurmClient client, IReadOnlyList<SlurmScript> scripts)
    {
        var jobs = new List<SlurmJob>();
        foreach (var script in scripts)
        {
            try
            {
                jobs.Add(new SlurmJob(script, client.Submit(script.Path, jobs.Count > 0 ? jobs[^1].Id : null)));
            }
            catch (InvalidOperationException e) when (jobs.Count > 0)
            {
                string ids = string.Join(' ', jobs.Select(j => j.Id));
                try
                {
                    client.Cancel(jobs.Select(j => j.Id));
                }
                catch (InvalidOperationException cancel)
                {
                    throw new InvalidOperationException($"{e.Message}\nthe jobs already submitted ({ids}) could not be cancelled: {cancel.Message}", e);
                }
                throw new InvalidOperationException($"{e.Message}\nthe jobs already submitted ({ids}) were cancelled", e);
            }
        }
        return jobs;
    }

    public static void WriteJobsFile(string path, IReadOnlyList<SlurmJob> jobs)
    {
        var json = new Dictionary<string, object>
        {
            ["jobs"] = jobs.Select(j => new Dictionary<string, object?>
            {
                ["step"] = j.Script.Step,
                ["job_id"] = j.Id,
                ["array"] = j.Script.IsArray ? $"0-{j.Script.Tasks - 1}" : null,
                ["script"] = j.Script.Path,
                ["log"] = j.Script.LogPath(j.Id, null),
            }).ToList(),
        };
        AtomicFile.WriteAllText(path, JsonContracts.Indented.Serialize(json) + "\n");
    }

    /// <summary>The job ids recorded in a jobs.json; empty when there is none.</summary>
    public static IReadOnlyList<long> ReadJobIds(string path)
    {
        if (!File.Exists(path)) return [];
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return [.. doc.RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("job_id").GetInt64())];
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a jobs file written by `nextlong slurm` ({e.Message}); delete it if its jobs are gone", e);
        }
    }

    /// <summary>
    /// Polls squeue until none of <paramref name="jobs"/> is queued any more (a job whose dependency failed is
    /// cancelled by --kill-on-invalid-dep), then reads every job's and task's final state from scontrol, since
    /// accounting (sacct) may be off. <paramref name="status"/> gets a line whenever the queue changes.
    /// </summary>
    public static IReadOnlyList<SlurmJobOutcome> Wait(SlurmClient client, IReadOnlyList<SlurmJob> jobs, TimeSpan poll, Action<string> status, CancellationToken ct)
    {
        var ids = jobs.Select(j => j.Id).ToList();
        string last = "";
        var neverSatisfied = Stopwatch.StartNew();
        while (true)
        {
            var queued = client.Queue(ids);
            if (queued.Count == 0) break;
            string summary = string.Join("; ", jobs
                .Select(j => (j, entries: queued.Where(q => JobIdOf(q.Id) == j.Id).ToList()))
                .Where(x => x.entries.Count > 0)
                .Select(x => $"{x.j.Script.Step} {x.j.Id}: " + string.Join(", ", x.entries.GroupBy(e => e.State == "PENDING" && e.Reason is not ("" or "None") ? $"{e.State} ({e.Reason})" : e.State)
                    .Select(g => g.Count() > 1 ? $"{g.Count()} {g.Key}" : g.Key))));
            if (summary != last) status(summary);
            last = summary;
            // --kill-on-invalid-dep cancels such a job within moments; should a cluster not do so, it would wait
            // for ever, so it counts as ended once it has stayed like that for a while.
            if (!queued.Any(q => q.Reason == "DependencyNeverSatisfied")) neverSatisfied.Restart();
            else if (neverSatisfied.Elapsed > TimeSpan.FromSeconds(60)) break;
            if (ct.WaitHandle.WaitOne(poll)) ct.ThrowIfCancellationRequested();
        }
        return [.. jobs.SelectMany(j => Outcomes(client, j))];
    }

    private static IEnumerable<SlurmJobOutcome> Outcomes(SlurmClient client, SlurmJob job)
    {
        var records = client.ShowJob(job.Id);
        if (records.Count == 0)
        {
            yield return new SlurmJobOutcome(job, null, "UNKNOWN", "slurmctld no longer knows the job (see MinJobAge)", "");
            yield break;
        }
        foreach (var r in records.OrderBy(r => int.TryParse(r.GetValueOrDefault("ArrayTaskId"), out int t) ? t : -1))
        {
            int? task = int.TryParse(r.GetValueOrDefault("ArrayTaskId"), NumberStyles.None, CultureInfo.InvariantCulture, out int t) ? t : null;
            yield return new SlurmJobOutcome(job, task, r.GetValueOrDefault("JobState", "UNKNOWN"), r.GetValueOrDefault("Reason", ""), r.GetValueOrDefault("ExitCode", ""));
        }
    }

    // "123", "123_4" or "123_[0-3%2]" → 123.
    private static long JobIdOf(string queueId)
        => long.TryParse(queueId.Split('_')[0], NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : -1;
}
