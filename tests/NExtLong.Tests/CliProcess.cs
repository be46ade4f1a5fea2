using System.Diagnostics;

namespace NExtLong.Tests;

/// <summary>Runs the real `nextlong` CLI (NExtLong.Cli.dll, copied beside the tests) in its own process.</summary>
internal static class CliProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "NExtLong.Cli.dll");

    public static Process Start(params string[] args) => Start(null, args);

    /// <param name="configure">Changes to the process before it starts (working directory, environment).</param>
    public static Process Start(Action<ProcessStartInfo>? configure, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Dll);
        foreach (var a in args) info.ArgumentList.Add(a);
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

    /// <summary>Runs another program built beside the tests (<paramref name="dll"/>) the same way.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunDll(string dll, TimeSpan timeout, params string[] args)
        => Run(timeout, info => info.ArgumentList[0] = dll, args);

    public static (int ExitCode, string Stdout, string Stderr) Run(TimeSpan timeout, Action<ProcessStartInfo>? configure, params string[] args)
    {
        using var p = Start(configure, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout)) { p.Kill(true); throw new TimeoutException($"nextlong {string.Join(' ', args)} did not finish within {timeout}"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
