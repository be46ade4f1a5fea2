using System.Diagnostics;

namespace NExtLong.Tests;

/// <summary>
/// Runs the real `nextlong` CLI in its own process: the program the checkout's `./nextlong` builds and runs, as a user
/// gets it (natively compiled where the machine can, so a command that fails only in a native build fails here).
/// </summary>
internal static class CliProcess
{
    // `./nextlong --which` builds once if needed (minutes for a native build) and names what it runs.
    private static readonly Lazy<string[]> Launched = new(() =>
    {
        var (code, stdout, stderr) = RunCommand(["bash", Launcher(), "--which"], TimeSpan.FromMinutes(15));
        if (code != 0) throw new InvalidOperationException($"./nextlong --which failed ({code}): {stderr}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    });

    /// <summary>The command that runs the CLI: the native program, or `dotnet` and the CLI's dll.</summary>
    public static IReadOnlyList<string> Program => Launched.Value;

    public static Process Start(params string[] args) => Start(null, args);

    /// <param name="configure">Changes to the process before it starts (working directory, environment).</param>
    public static Process Start(Action<ProcessStartInfo>? configure, params string[] args)
    {
        string[] program = Launched.Value;
        var info = new ProcessStartInfo(program[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in program.Skip(1).Concat(args)) info.ArgumentList.Add(a);
        configure?.Invoke(info);
        return Process.Start(info)!;
    }

    /// <summary>
    /// Starts the CLI with SIGINT and SIGQUIT at their default dispositions, as a terminal starts a command. A test run
    /// launched in the background (`&amp;`, nohup) has SIGINT ignored, an ignored signal stays ignored in every process
    /// it starts, and the CLI then rightly ignores Ctrl-C as any background job does; a test of Ctrl-C must not depend
    /// on how its run was launched.
    /// </summary>
    public static Process StartAsFromTerminal(params string[] args) => Start(info =>
    {
        info.ArgumentList.Insert(0, info.FileName);
        info.ArgumentList.Insert(0, "--default-signal=INT,QUIT");
        info.FileName = "env";
    }, args);

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => Run(TimeSpan.FromMinutes(3), null, args);

    /// <summary>Runs another program built beside the tests (<paramref name="dll"/>) the same way, under `dotnet`.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunDll(string dll, TimeSpan timeout, params string[] args) =>
        RunCommand(["dotnet", dll], timeout, args);

    /// <summary>Runs <paramref name="command"/> (a program and its first arguments) with <paramref name="args"/> the same way.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunCommand(IReadOnlyList<string> command, TimeSpan timeout, params string[] args)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in command.Skip(1).Concat(args)) info.ArgumentList.Add(a);
        return Wait(Process.Start(info)!, timeout, args);
    }

    public static (int ExitCode, string Stdout, string Stderr) Run(TimeSpan timeout, Action<ProcessStartInfo>? configure, params string[] args) =>
        Wait(Start(configure, args), timeout, args);

    private static (int ExitCode, string Stdout, string Stderr) Wait(Process process, TimeSpan timeout, string[] args)
    {
        using var p = process;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(true); throw new TimeoutException($"nextlong {string.Join(' ', args)} did not finish within {timeout}"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    // The checkout's launcher: the first folder up from the tests' own that holds `nextlong` beside the solution.
    private static string Launcher()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string script = Path.Combine(dir.FullName, "nextlong");
            if (File.Exists(script) && File.Exists(Path.Combine(dir.FullName, "NExtLong.slnx")))
                return script;
        }
        throw new InvalidOperationException($"no checkout's ./nextlong above {AppContext.BaseDirectory}");
    }
}
