using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NExtLong.Cli.Slurm;
using NExtLong.Dedup;
using NExtLong.Pipeline;
using NExtLong.Tests.Slurm;
using NExtLong.TestStage;

namespace NExtLong.Tests;

/// <summary>`nextlong slurm --dry-run`: the scripts it writes, checked as text and by running them with bash.</summary>
public class SlurmDryRunTests
{
    private static readonly string Sample = SampleIndexFixture.SamplePath;

    private static readonly string[] Scripts = ["1-index.sbatch", "2-index-merge.sbatch", "3-synthesize.sbatch", "4-synthesize-merge.sbatch"];

    [Fact]
    public void Dry_run_writes_four_scripts_and_prints_the_afterok_chain()
    {
        string dir = TempDir.Create();
        string outDir = Path.Combine(dir, "out");
        var (code, stdout, stderr) = CliProcess.Run(TimeSpan.FromMinutes(3), info => info.WorkingDirectory = dir, "slurm", "--input", Sample, "--out", outDir, "--dry-run", "--dedup", "none",
            "--synthesis-tasks", "3", "--throttle", "2", "--partition", "short", "--account", "proj1", "--time", "1:00:00",
            "--mem", "4G", "--cpus-per-task", "2", "--sbatch-arg=--qos=long", "--nextlong", "/opt/nextlong/nextlong");
        Assert.True(code == 0, stderr);
        string slurmDir = outDir + ".slurm";
        var text = Scripts.Select(n => File.ReadAllText(Path.Combine(slurmDir, n))).ToArray();

        foreach (var (script, name) in text.Zip(Scripts))
        {
            Assert.Contains($"# ==> {Path.Combine(slurmDir, name)} <==\n{script}", stdout);
            Assert.StartsWith("#!/bin/bash\n", script);
            foreach (var line in new[] { "#SBATCH --requeue", "#SBATCH --partition=short", "#SBATCH --account=proj1", "#SBATCH --time=1:00:00",
                         "#SBATCH --mem=4G", "#SBATCH --cpus-per-task=2", "#SBATCH --qos=long", "set -euo pipefail", $"cd {dir}" })
                Assert.Contains(line + "\n", script);
            Assert.Contains("--threads 2", script);
            Assert.Contains("/opt/nextlong/nextlong ", script);
            AssertBashSyntax(Path.Combine(slurmDir, name));
        }
        var (index, indexMerge, synth, synthMerge) = (text[0], text[1], text[2], text[3]);
        Assert.Contains("#SBATCH --array=0-3%2\n", index);
        Assert.Contains("#SBATCH --array=0-2%2\n", synth);
        Assert.Contains($"#SBATCH --output={slurmDir}/logs/index-%A_%a.log\n", index);
        Assert.Contains($"#SBATCH --output={slurmDir}/logs/synthesize-%A_%a.log\n", synth);
        Assert.Contains($"#SBATCH --output={slurmDir}/logs/index-merge-%j.log\n", indexMerge);
        // The rank comes from the array index at run time; the world size is the array's size.
        Assert.Contains("rank=\"${SLURM_ARRAY_TASK_ID:", index);
        Assert.Contains("--rank \"$rank\" --world-size 4\n", index);
        Assert.Contains("--rank \"$rank\" --world-size 3\n", synth);
        foreach (var merge in new[] { indexMerge, synthMerge })
        {
            Assert.DoesNotContain("--array", merge);
            Assert.DoesNotContain("--rank", merge);
            Assert.EndsWith(" \\\n  --merge\n", merge);
        }
        // A job after a failed one would otherwise stay pending for ever.
        Assert.DoesNotContain("kill-on-invalid-dep", index);
        Assert.All([indexMerge, synth, synthMerge], s => Assert.Contains("#SBATCH --kill-on-invalid-dep=yes\n", s));
        Assert.Contains($" index \\\n  --out {outDir}/index \\\n  --input {Sample} \\\n", index);
        Assert.Contains($" synthesize \\\n  --index {outDir}/index \\\n  --out {outDir} \\\n  --input {Sample} \\\n", synth);

        Assert.Contains(
            $"index=$(sbatch --parsable {slurmDir}/1-index.sbatch)\n" +
            $"index_merge=$(sbatch --parsable --dependency=afterok:$index {slurmDir}/2-index-merge.sbatch)\n" +
            $"synthesize=$(sbatch --parsable --dependency=afterok:$index_merge {slurmDir}/3-synthesize.sbatch)\n" +
            $"synthesize_merge=$(sbatch --parsable --dependency=afterok:$synthesize {slurmDir}/4-synthesize-merge.sbatch)\n", stdout);
        Assert.False(File.Exists(Path.Combine(slurmDir, "jobs.json")), "a dry run submits nothing");
        Assert.True(Directory.Exists(Path.Combine(slurmDir, "logs")));
        Assert.False(Directory.Exists(outDir), "a dry run writes only the scripts");

        var (code2, _, stderr2) = CliProcess.Run("slurm", "--input", Sample, "--out", outDir, "--dry-run", "--dedup", "none", "--no-requeue");
        Assert.True(code2 == 0, stderr2);
        string noRequeue = File.ReadAllText(Path.Combine(slurmDir, "1-index.sbatch"));
        Assert.Contains("#SBATCH --no-requeue\n", noRequeue);
        Assert.DoesNotContain("#SBATCH --requeue", noRequeue);
        Assert.Contains("#SBATCH --array=0-3\n", noRequeue);
        Assert.Contains("#SBATCH --time=24:00:00\n", noRequeue);
        Assert.DoesNotContain("--mem", noRequeue);
    }

    [Fact]
    public void Forwarded_options_reach_the_stages_exactly_as_given_after_bash_parsing()
    {
        string dir = TempDir.Create();
        Directory.CreateDirectory(Path.Combine(dir, "corpus"));
        File.Copy(Sample, Path.Combine(dir, "corpus", "docs.jsonl.gz"));
        string outDir = Path.Combine(dir, "out");
        // Quotes of both kinds, a space, $, backquotes and a literal backslash-n; a value starting with '-'.
        const string separator = "a \"b' c $HOME `x` \\n ";
        // printf writes each argument it gets, NUL-terminated: what the stage would receive.
        var (code, _, stderr) = CliProcess.Run(TimeSpan.FromMinutes(3), info => info.WorkingDirectory = dir,
            "slurm", "-i", "corpus/docs.jsonl.gz", "-o", "out", "--dry-run", "--dedup", "none", "--nextlong", "printf '%s\\0'",
            "-n", "6", "--separator", separator, "--text-field", "my field", "--id-field=-id", "--chunk-chars", "512",
            "--format", "jsonl.zst", "mds", "--overwrite", "--retriever", "dense", "--index-spec", "IVF16,SQ8", "--threads", "3");
        Assert.True(code == 0, stderr);
        string slurmDir = outDir + ".slurm";
        string index = Path.Combine(outDir, "index");
        string[] indexArgs = ["--out", index, "--input", "corpus/docs.jsonl.gz", "--chunk-chars", "512", "--retriever", "dense", "--index-spec", "IVF16,SQ8",
            "--text-field", "my field", "--id-field=-id", "--overwrite", "--threads", "3"];
        string[] synthArgs = ["--index", index, "--out", outDir, "--input", "corpus/docs.jsonl.gz", "--num-samples", "6", "--separator", separator, "--retriever", "dense",
            "--text-field", "my field", "--id-field=-id", "--overwrite", "--format", "jsonl.zst", "--format", "mds", "--threads", "3"];

        Assert.Equal([
            "index", .. indexArgs, "--rank", "2", "--world-size", "4"], BashArgs(Path.Combine(slurmDir, "1-index.sbatch"), taskId: 2));
        Assert.Equal(["index", .. indexArgs, "--merge"], BashArgs(Path.Combine(slurmDir, "2-index-merge.sbatch"), taskId: null));
        Assert.Equal([
            "synthesize", .. synthArgs, "--rank", "0", "--world-size", "4"], BashArgs(Path.Combine(slurmDir, "3-synthesize.sbatch"), taskId: 0));
        Assert.Equal(["synthesize", .. synthArgs, "--merge"], BashArgs(Path.Combine(slurmDir, "4-synthesize-merge.sbatch"), taskId: null));
        // Relative inputs stay relative: the jobs start in the folder `nextlong slurm` ran in.
        Assert.Contains($"\ncd {dir}\n", File.ReadAllText(Path.Combine(slurmDir, "1-index.sbatch")));

        // Outside Slurm, or with an index past the array, an array script refuses to run.
        var outside = Bash(Path.Combine(slurmDir, "1-index.sbatch"), taskId: null);
        Assert.NotEqual(0, outside.Code);
        Assert.Contains("submit it with sbatch", outside.Stderr);
        var past = Bash(Path.Combine(slurmDir, "1-index.sbatch"), taskId: 4);
        Assert.NotEqual(0, past.Code);
        Assert.Contains("outside 0-3", past.Stderr);
    }

    [Fact]
    public void By_default_the_scripts_deduplicate_first_and_index_and_synthesize_read_the_dedup_shards()
    {
        string dir = TempDir.Create();
        string outDir = Path.Combine(dir, "out");
        var (code, _, stderr) = CliProcess.Run(TimeSpan.FromMinutes(3), info => info.WorkingDirectory = dir, "slurm", "--input", $"web={Sample}@2", "--out", outDir,
            "--dry-run", "--dedup-tasks", "2", "--text-field", "text", "--nextlong", "printf '%s\\0'");
        Assert.True(code == 0, stderr);
        string slurmDir = outDir + ".slurm", dedup = Path.Combine(outDir, "dedup");
        string shards = $"web={dedup}/web-00000.jsonl.zst@2";
        Assert.Equal(["dedup", "--out", dedup, "--method", "minhash", "--input", $"web={Sample}@2", "--text-field", "text", "--threads", "4", "--rank", "1", "--world-size", "2"],
            BashArgs(Path.Combine(slurmDir, "1-dedup.sbatch"), taskId: 1));
        Assert.Equal(["dedup", "--out", dedup, "--method", "minhash", "--input", $"web={Sample}@2", "--text-field", "text", "--threads", "4", "--merge"],
            BashArgs(Path.Combine(slurmDir, "2-dedup-merge.sbatch"), taskId: null));
        Assert.Equal(["index", "--out", Path.Combine(outDir, "index"), "--input", shards, "--text-field", "text", "--threads", "4", "--merge"],
            BashArgs(Path.Combine(slurmDir, "4-index-merge.sbatch"), taskId: null));
        Assert.Equal(["synthesize", "--index", Path.Combine(outDir, "index"), "--out", outDir, "--input", shards, "--text-field", "text", "--dedup-output", dedup, "--threads", "4", "--merge"],
            BashArgs(Path.Combine(slurmDir, "6-synthesize-merge.sbatch"), taskId: null));
        Assert.Contains("#SBATCH --array=0-1\n", File.ReadAllText(Path.Combine(slurmDir, "1-dedup.sbatch")));

        var exact = CliProcess.Run("slurm", "--input", Sample, "--out", outDir, "--dry-run", "--dedup", "exact");
        Assert.True(exact.ExitCode == 0, exact.Stderr);
        Assert.Contains("  --method exact \\\n", File.ReadAllText(Path.Combine(slurmDir, "1-dedup.sbatch")));
        var bad = CliProcess.Run("slurm", "--input", Sample, "--out", Path.Combine(dir, "bad"), "--dry-run", "--dedup", "fuzzy");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--dedup", bad.Stderr);
        Assert.Contains("one of none, exact, minhash", bad.Stderr);
        var tasks = CliProcess.Run("slurm", "--input", Sample, "--out", Path.Combine(dir, "bad"), "--dry-run", "--dedup-tasks", "0");
        Assert.Equal(1, tasks.ExitCode);
        Assert.Contains("--dedup-tasks must be at least 1", tasks.Stderr);
    }

    [Fact]
    public void Bash_quoting_round_trips_any_text()
    {
        string[] words = ["", "plain", "a b", "'", "''", "\"", "$HOME", "${x:-y}", "`id`", "$(id)", "a\nb", "tab\there", "*", "~", "!x",
            "back\\slash", "semi;colon", "a&b|c", "<in>", "#hash", "caf\u00e9 \u4f60\u597d \ud83d\ude00", "--dash", "x=y", "@file"];
        string script = Path.Combine(TempDir.Create(), "words.sh");
        File.WriteAllText(script, "printf '%s\\0' " + string.Join(' ', words.Select(SlurmPipeline.BashQuote)) + "\n");
        var (code, stdout, stderr) = Bash(script, taskId: null);
        Assert.True(code == 0, stderr);
        Assert.Equal(words, stdout.Split('\0')[..^1]);
    }

    [Fact]
    public void Scontrol_records_keep_values_with_spaces()
    {
        var record = SlurmClient.ParseRecord("JobId=7 ArrayJobId=5 ArrayTaskId=2 JobName=a b JobState=FAILED Reason=NonZeroExitCode ExitCode=1:0 Command=/x y/z.sbatch StdOut=/data/my out/logs/index-5_2.log Power=");
        Assert.Equal("5", record["ArrayJobId"]);
        Assert.Equal("2", record["ArrayTaskId"]);
        Assert.Equal("a b", record["JobName"]);
        Assert.Equal("FAILED", record["JobState"]);
        Assert.Equal("1:0", record["ExitCode"]);
        Assert.Equal("/data/my out/logs/index-5_2.log", record["StdOut"]);
        Assert.Equal("", record["Power"]);
    }

    /// <summary>
    /// Without --nextlong, compute nodes start nextlong as this command was started: through the checkout's
    /// `./nextlong` when it started this very program (so a node of another CPU gets a native build of its own),
    /// else this program itself; a launcher's variables left over for another program are ignored.
    /// </summary>
    [Fact]
    public void By_default_nodes_start_nextlong_as_this_command_was_started()
    {
        string dir = TempDir.Create();
        string launcher = Path.Combine(SampleCorpus.Root, "nextlong");
        string[] Args(string outDir) => ["slurm", "--input", Sample, "--out", outDir, "--dry-run", "--dedup", "none"];
        string IndexScript(string outDir) => File.ReadAllText(Path.Combine(outDir + ".slurm", Scripts[0]));

        var (code, _, stderr) = CliProcess.RunCommand(["bash", launcher], TimeSpan.FromMinutes(3), Args(Path.Combine(dir, "launched")));
        Assert.True(code == 0, stderr);
        Assert.Contains($"\n{SlurmPipeline.BashQuote(launcher)} index \\\n", IndexScript(Path.Combine(dir, "launched")));

        string self = string.Join(' ', CliProcess.Program.Select(SlurmPipeline.BashQuote));
        (code, _, stderr) = CliProcess.Run(TimeSpan.FromMinutes(3), info =>
        {
            info.Environment["NEXTLONG_LAUNCH"] = "/elsewhere/nextlong";
            info.Environment["NEXTLONG_LAUNCHED"] = "/elsewhere/NExtLong.Cli";
        }, Args(Path.Combine(dir, "direct")));
        Assert.True(code == 0, stderr);
        string direct = IndexScript(Path.Combine(dir, "direct"));
        Assert.Contains($"\n{self} index \\\n", direct);
        Assert.DoesNotContain("/elsewhere", direct);
    }

    [Fact]
    public void Missing_sbatch_is_a_clear_error_naming_the_command()
    {
        string dir = TempDir.Create();
        string empty = Directory.CreateDirectory(Path.Combine(dir, "empty-path")).FullName;
        var (code, _, stderr) = CliProcess.Run(TimeSpan.FromMinutes(3), info => info.Environment["PATH"] = empty,
            "slurm", "--input", Sample, "--out", Path.Combine(dir, "out"));
        Assert.Equal(1, code);
        Assert.Contains($"`sbatch --parsable {dir}/out.slurm/1-dedup.sbatch` could not be started", stderr);
        Assert.Contains("Is Slurm's sbatch installed and on PATH", stderr);
    }

    [Fact]
    public void Bad_slurm_options_are_refused_before_anything_is_written()
    {
        string dir = TempDir.Create();
        string outDir = Path.Combine(dir, "out");
        foreach (var (args, message) in new (string[], string)[]
                 {
                     (["--index-tasks", "0"], "--index-tasks must be at least 1"),
                     (["--throttle", "0"], "--throttle must be at least 1"),
                     (["--partition", "a b"], "--partition must be one word"),
                     (["--sbatch-arg=--a\n--b"], "--sbatch-arg must be one non-empty line"),
                     (["--requeue", "--no-requeue"], "--requeue and --no-requeue contradict each other"),
                     (["--input", Path.Combine(dir, "missing.jsonl")], "missing.jsonl"),
                 })
        {
            var (code, _, stderr) = CliProcess.Run(["slurm", "--input", Sample, "--out", outDir, "--dry-run", .. args]);
            Assert.True(code == 1, $"{string.Join(' ', args)}: {stderr}");
            Assert.Contains(message, stderr);
        }
        Assert.False(Directory.Exists(outDir + ".slurm"));
    }

    internal static string[] BashArgs(string script, int? taskId)
    {
        var (code, stdout, stderr) = Bash(script, taskId);
        Assert.True(code == 0, $"{script}: {stderr}");
        return stdout.Split('\0')[..^1];
    }

    private static (int Code, string Stdout, string Stderr) Bash(string script, int? taskId)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("SLURM_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name);
        if (taskId is { } t) info.Environment["SLURM_ARRAY_TASK_ID"] = t.ToString(CultureInfo.InvariantCulture);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static void AssertBashSyntax(string script)
    {
        using var p = Process.Start(new ProcessStartInfo("bash", ["-n", script]) { RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"bash -n {script}: {err}");
    }
}

[CollectionDefinition(nameof(SlurmClusterTests), DisableParallelization = true)]
public sealed class SlurmClusterCollection : ICollectionFixture<SlurmCluster>;

/// <summary>
/// `nextlong slurm` against a real single-node Slurm cluster started by <see cref="SlurmCluster"/>. Alone in its
/// collection, not in parallel with the rest: the node has 2 CPUs and the jobs need them.
/// </summary>
[Collection(nameof(SlurmClusterTests))]
[Trait("Tier", "slow")]
public class SlurmClusterTests(SlurmCluster cluster)
{
    private static readonly TimeSpan CliTimeout = TimeSpan.FromMinutes(9);
    private static readonly string Sample = SampleIndexFixture.SamplePath;

    [Fact(Timeout = 300_000)]
    public async Task Jobs_run_in_dependency_order_with_the_array_index_as_rank()
    {
        await Task.Yield();
        string outDir = Path.Combine(TempDir.Create(), "out");
        // printf prints the arguments the stage would get, one per line, into each task's log.
        var (code, stdout, stderr) = CliProcess.Run(CliTimeout, null, "slurm", "--input", Sample, "--out", outDir, "--dedup", "none",
            "--index-tasks", "3", "--synthesis-tasks", "2", "--cpus-per-task", "1", "--time", "5:00", "--nextlong", "printf '%s\\n'", "--wait");
        Assert.True(code == 0, $"{stderr}\n{cluster.LogTails()}");
        Assert.Contains("all 4 jobs completed", stderr);
        var jobs = Jobs(outDir);
        Assert.Equal(["index", "index-merge", "synthesize", "synthesize-merge"], jobs.Select(j => j.Step));
        foreach (var (step, id) in jobs) Assert.Matches($@"(?m)^{step} +{id}\b", stdout);

        string logs = Path.Combine(outDir + ".slurm", "logs");
        for (int rank = 0; rank < 3; rank++)
            Assert.Contains($"\n--rank\n{rank}\n--world-size\n3\n", File.ReadAllText(Path.Combine(logs, $"index-{jobs[0].Id}_{rank}.log")));
        for (int rank = 0; rank < 2; rank++)
            Assert.Contains($"\n--rank\n{rank}\n--world-size\n2\n", File.ReadAllText(Path.Combine(logs, $"synthesize-{jobs[2].Id}_{rank}.log")));
        Assert.EndsWith("\n--merge\n", File.ReadAllText(Path.Combine(logs, $"index-merge-{jobs[1].Id}.log")));
        Assert.EndsWith("\n--merge\n", File.ReadAllText(Path.Combine(logs, $"synthesize-merge-{jobs[3].Id}.log")));
        Assert.Equal(7, Directory.GetFiles(logs).Length);

        // afterok: each job started only after every task of the one before had ended.
        var client = new SlurmClient();
        var records = jobs.Select(j => client.ShowJob(j.Id)).ToList();
        Assert.Equal([3, 1, 2, 1], records.Select(r => r.Count));
        Assert.All(records.SelectMany(r => r), r => Assert.Equal("COMPLETED", r["JobState"]));
        for (int i = 1; i < records.Count; i++)
            Assert.True(records[i].Min(r => Time(r["StartTime"])) >= records[i - 1].Max(r => Time(r["EndTime"])), $"{jobs[i].Step} started before {jobs[i - 1].Step} ended");
    }

    [Fact(Timeout = 300_000)]
    public async Task Wait_names_the_failed_task_and_its_log_and_the_rest_of_the_chain_is_cancelled()
    {
        await Task.Yield();
        string outDir = Path.Combine(TempDir.Create(), "out");
        // Every task but index task 1 succeeds.
        var (code, _, stderr) = CliProcess.Run(CliTimeout, null, "slurm", "--input", Sample, "--out", outDir, "--dedup", "none",
            "--index-tasks", "3", "--synthesis-tasks", "2", "--cpus-per-task", "1", "--time", "5:00",
            "--nextlong", "bash -c '[[ $SLURM_ARRAY_TASK_ID != 1 ]]' nextlong", "--wait");
        Assert.True(code == 1, $"{stderr}\n{cluster.LogTails()}");
        var jobs = Jobs(outDir);
        string log = Path.Combine(outDir + ".slurm", "logs", $"index-{jobs[0].Id}_1.log");
        Assert.Contains($"slurm: index task 1 (job {jobs[0].Id}_1): FAILED (NonZeroExitCode), exit code 1:0; log: {log}", stderr);
        Assert.DoesNotContain("index task 0", stderr);
        Assert.DoesNotContain("index task 2", stderr);
        foreach (var later in jobs.Skip(1))
            Assert.Contains($"slurm: {later.Step} (job {later.Id}): CANCELLED (DependencyNeverSatisfied)", stderr);
        Assert.Contains($"slurm: last lines of {log}:", stderr);
        Assert.Empty(new SlurmClient().Queue([.. jobs.Select(j => j.Id)]));
    }

    [Fact(Timeout = 120_000)]
    public async Task A_submission_refused_by_sbatch_is_a_clear_error()
    {
        await Task.Yield();
        string outDir = Path.Combine(TempDir.Create(), "out");
        var (code, _, stderr) = CliProcess.Run(CliTimeout, null, "slurm", "--input", Sample, "--out", outDir, "--partition", "no-such-partition");
        Assert.True(code == 1, stderr);
        Assert.Contains($"`sbatch --parsable {outDir}.slurm/1-dedup.sbatch` failed (exit code 1): ", stderr);
        Assert.Contains("Invalid partition", stderr);
        Assert.False(File.Exists(Path.Combine(outDir + ".slurm", "jobs.json")));
    }

    /// <summary>
    /// The real pipeline on the cluster (3 dedup tasks and 3 index tasks over 4 input files, 2 synthesis tasks, each
    /// followed by its merge) gives exactly the files of a local `nextlong run` with the same options, deduplicated
    /// corpus and index included.
    /// </summary>
    [Fact(Timeout = 600_000)]
    public async Task Pipeline_on_slurm_is_byte_identical_to_a_local_run()
    {
        await Task.Yield();
        string dir = TempDir.Create();
        string[] inputs = [NExtLong.Tests.SplitSample.Create(dir, files: 4, documentsPerFile: 100)];
        // Copies across files, so the dedup has something to remove that only the merge (all units together) can see.
        var files = Directory.GetFiles(inputs[0]).Order(StringComparer.Ordinal).ToArray();
        File.AppendAllLines(files[3], File.ReadLines(files[1]).Take(5)); // both plain JSONL
        string[] options = ["--target-tokens", "8192", "--num-samples", "6", "--documents-per-part", "2"];
        string outDir = Path.Combine(dir, "out");
        var (code, _, stderr) = CliProcess.Run(CliTimeout, null, ["slurm", "--input", .. inputs, "--out", outDir, .. options,
            "--dedup-tasks", "3", "--index-tasks", "3", "--synthesis-tasks", "2", "--cpus-per-task", "1", "--time", "10:00",
            "--nextlong", string.Join(' ', CliProcess.Program.Select(SlurmPipeline.BashQuote)), "--wait"]);
        Assert.True(code == 0, $"nextlong slurm failed:\n{stderr}\n{cluster.LogTails()}");

        // The jobs really ran on Slurm: ids recorded, one log per array task and per merge.
        var jobs = Jobs(outDir);
        string logs = Path.Combine(outDir + ".slurm", "logs");
        Assert.Equal(["dedup", "dedup-merge", "index", "index-merge", "synthesize", "synthesize-merge"], jobs.Select(j => j.Step));
        string[] expectedLogs = [.. Enumerable.Range(0, 3).Select(t => $"dedup-{jobs[0].Id}_{t}.log"), $"dedup-merge-{jobs[1].Id}.log",
            .. Enumerable.Range(0, 3).Select(t => $"index-{jobs[2].Id}_{t}.log"), $"index-merge-{jobs[3].Id}.log",
            .. Enumerable.Range(0, 2).Select(t => $"synthesize-{jobs[4].Id}_{t}.log"), $"synthesize-merge-{jobs[5].Id}.log"];
        Assert.Equal(expectedLogs.Order(StringComparer.Ordinal), Directory.GetFiles(logs).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // The merges leave the work folders' record (plan, per-unit and merged stats, markers) but not the unit outputs.
        foreach (var work in new[] { outDir + ".work", Path.Combine(outDir, "index.work"), Path.Combine(outDir, "dedup.work") })
        {
            Assert.False(Directory.Exists(Path.Combine(work, "units")), work);
            Assert.True(File.Exists(Path.Combine(work, "stats.json")), work);
        }
        Assert.Equal(3, Directory.GetFiles(Path.Combine(outDir, "index.work", "completions"), "rank-*-of-00003").Length);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(outDir, "dedup.work", "completions"), "rank-*-of-00003").Length);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(outDir + ".work", "completions"), "rank-*-of-00002").Length);

        // A local run elsewhere: the dataset records its index by content, not by folder, so every byte must agree.
        string local = Path.Combine(dir, "local");
        // Both deduplicate by default (minhash).
        var run = CliProcess.Run(CliTimeout, null, ["run", "--input", .. inputs, "--out", local, .. options]);
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.True(DedupStage.ReadStats(Path.Combine(local, "dedup")).RemovedExact >= 5);
        Assert.Contains("\"dedup\": {", File.ReadAllText(Path.Combine(outDir, "config.json")));
        Assert.True(File.Exists(Path.Combine(local, "part-00000.jsonl.zst")));
        Assert.True(File.Exists(Path.Combine(local, "index", "manifest.json")));
        NExtLong.Tests.SplitSample.AssertSameTree(local, outDir);
    }

    /// <summary>
    /// Any stage runs on Slurm through the CLI's Slurm code, with no Slurm code of its own: the executor's test stage
    /// (tests/NExtLong.TestStage, started as a program with the CLI's rank options) as a real job array of 3 tasks
    /// over 4 files, each task's rank its array index, and a merge job after them; the merge is a local run's bytes.
    /// </summary>
    [Fact(Timeout = 300_000)]
    public async Task A_stage_without_Slurm_code_runs_as_a_job_array_and_merge_to_the_bytes_of_a_local_run()
    {
        await Task.Yield();
        string dir = TempDir.Create();
        var files = StageExecutorTests.Files(dir, 3, 5, 7, 11);
        string local = Path.Combine(dir, "local"), outDir = Path.Combine(dir, "out");
        var stage = new LineCount(files);
        Assert.Equal(26, StageExecutor.RunLocal(stage, local, session => stage.Merge(session, local)));

        var (jobs, outcomes) = SubmitLineCount(dir, files, outDir, tasks: 3);
        Assert.True(outcomes.All(o => o.Succeeded), Failures(outcomes));
        Assert.Equal(["line-count", "line-count-merge"], jobs.Select(j => j.Script.Step));
        Assert.Equal([0, 1, 2, null], outcomes.Select(o => o.Task));
        for (int task = 0; task < 3; task++)
            Assert.Contains($"line-count: rank {task} of 3:", File.ReadAllText(outcomes[task].LogPath!));
        // Each unit was done by the task whose array index is its rank: u mod 3.
        for (int unit = 0; unit < files.Count; unit++)
        {
            using var record = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir + ".work", "stats", $"file-{unit:D3}.json")));
            Assert.Equal(unit % 3, record.RootElement.GetProperty("Rank").GetInt32());
            Assert.Equal(3, record.RootElement.GetProperty("WorldSize").GetInt32());
        }
        NExtLong.Tests.SplitSample.AssertSameTree(local, outDir);
    }

    [Fact(Timeout = 300_000)]
    public async Task A_failing_task_of_a_stage_stops_its_merge()
    {
        await Task.Yield();
        string dir = TempDir.Create();
        var files = StageExecutorTests.Files(dir, 3, 5, 7, 11);
        File.Delete(files[2]); // task 2's only file
        string outDir = Path.Combine(dir, "out");

        var (_, outcomes) = SubmitLineCount(dir, files, outDir, tasks: 3);
        Assert.Equal([("COMPLETED", 0), ("COMPLETED", 1), ("FAILED", 2)], outcomes.Take(3).Select(o => (o.State, o.Task!.Value)));
        var merge = outcomes[3];
        Assert.True(merge is { Task: null, State: "CANCELLED", Reason: "DependencyNeverSatisfied" }, Failures(outcomes));
        Assert.Contains($"nextlong: error: Could not find file '{files[2]}'", File.ReadAllText(outcomes[2].LogPath!));
        Assert.False(Directory.Exists(outDir), "the merge never ran");
        Assert.Equal(3, Directory.GetFiles(Path.Combine(outDir + ".work", "completions"), "file-*").Length);
    }

    private static string TestStageDll => Path.Combine(AppContext.BaseDirectory, "NExtLong.TestStage.dll");

    /// <summary>The test stage over <paramref name="files"/> as a job array of <paramref name="tasks"/> and its merge, submitted and waited for.</summary>
    private static (IReadOnlyList<SlurmJob> Jobs, IReadOnlyList<SlurmJobOutcome> Outcomes) SubmitLineCount(string dir, IReadOnlyList<string> files, string outDir, int tasks)
    {
        var launch = new SlurmLaunch
        {
            Nextlong = $"dotnet {SlurmPipeline.BashQuote(TestStageDll)}",
            WorkingDirectory = dir,
            OutDir = outDir,
            Settings = new SlurmSettings { CpusPerTask = 1, Time = "5:00" },
        };
        var stage = new SlurmStage("line-count", ["line-count", "--out", outDir, "--input", .. files], tasks,
            $"Array task i counts the lines of share i of the {files.Count} files.", "After every task succeeded: lists the counts.");
        var client = new SlurmClient();
        var jobs = SlurmJobs.Submit(client, SlurmPipeline.Write(launch, [stage]));
        return (jobs, SlurmJobs.Wait(client, jobs, TimeSpan.FromSeconds(1), _ => { }, TestContext.Current.CancellationToken));
    }

    private string Failures(IReadOnlyList<SlurmJobOutcome> outcomes)
        => string.Join('\n', outcomes.Select(o => $"{o.Name}: {o.State} ({o.Reason}, exit {o.ExitCode})"
               + (o.LogPath is { } log && File.Exists(log) ? "\n" + File.ReadAllText(log) : ""))) + "\n" + cluster.LogTails();

    private static List<(string Step, long Id)> Jobs(string outDir)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir + ".slurm", "jobs.json")));
        return [.. json.RootElement.GetProperty("jobs").EnumerateArray().Select(j => (j.GetProperty("step").GetString()!, j.GetProperty("job_id").GetInt64()))];
    }

    private static DateTime Time(string slurmTime) => DateTime.ParseExact(slurmTime, "yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Relative paths of every file under <paramref name="root"/>, sorted.</summary>
}
