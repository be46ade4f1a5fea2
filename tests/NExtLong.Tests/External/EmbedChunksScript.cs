using System.Diagnostics;

namespace NExtLong.Tests.External;

/// <summary>Runs tools/embed-chunks/embed_chunks.py with Debian's Python, as a Slurm array task when asked.</summary>
internal static class EmbedChunksScript
{
    public const string Python = "/usr/bin/python3";
    public static readonly string Path = System.IO.Path.Combine(SampleCorpus.Root, "tools", "embed-chunks", "embed_chunks.py");

    /// <summary>Fails (under test.sh) or skips unless Debian's Python imports <paramref name="modules"/>.</summary>
    public static void RequirePython(string modules, string packages)
    {
        if (!File.Exists(Python)) TestRequirements.Missing($"{Python} is missing: run tools/test-setup.sh");
        var check = Process.Start(new ProcessStartInfo(Python, ["-c", $"import {modules}"]) { RedirectStandardError = true })!;
        check.WaitForExit();
        if (check.ExitCode != 0) TestRequirements.Missing($"{packages} missing: run tools/test-setup.sh");
    }

    /// <summary>The script on <paramref name="chunks"/>; as task <paramref name="task"/> of a Slurm array of
    /// <paramref name="tasks"/> (its ids start at 3, so the script must subtract SLURM_ARRAY_TASK_MIN) when given.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(int? task, int? tasks, string chunks, params string[] args)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path);
        info.ArgumentList.Add(chunks);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var name in new[] { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT" }) info.Environment.Remove(name);
        if (task is { } t)
        {
            info.Environment["SLURM_ARRAY_TASK_ID"] = (t + 3).ToString();
            info.Environment["SLURM_ARRAY_TASK_MIN"] = "3";
            info.Environment["SLURM_ARRAY_TASK_COUNT"] = tasks!.Value.ToString();
        }
        return RunPython(info, "embed_chunks.py");
    }

    /// <summary>Python with <paramref name="args"/> (a script or -c CODE and its arguments).</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunPython(params string[] args)
    {
        var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        return RunPython(info, "python3");
    }

    public static string Succeeds((int ExitCode, string Stdout, string Stderr) run)
    {
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}");
        return run.Stderr;
    }

    private static (int ExitCode, string Stdout, string Stderr) RunPython(ProcessStartInfo info, string what)
    {
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException($"{what} did not finish in 2 minutes"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
