using System.Diagnostics;

namespace NExtLong.Tests;

/// <summary>
/// The checkout's `./nextlong` builds the CLI when its sources are newer than the build. Commands started at once (the
/// tasks of a Slurm array launched through the script, two terminals) must not build side by side into one folder:
/// one builds, the others wait and run what it built. The script runs here on a checkout of its own whose CLI
/// project is a small real one, with a `dotnet` on PATH that records each build and runs the real SDK.
/// </summary>
[Trait("Tier", "slow")]
public class LauncherScriptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    [Fact]
    public void Commands_started_together_build_once_and_a_changed_source_builds_again()
    {
        string checkout = TempDir.Create();
        File.Copy(Path.Combine(SampleCorpus.Root, "nextlong"), Path.Combine(checkout, "nextlong"));
        File.WriteAllText(Path.Combine(checkout, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(checkout, "Directory.Packages.props"), "<Project />\n");
        string project = Directory.CreateDirectory(Path.Combine(checkout, "src", "NExtLong.Cli")).FullName;
        File.WriteAllText(Path.Combine(project, "NExtLong.Cli.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <AssemblyName>NExtLong.Cli</AssemblyName>
              </PropertyGroup>
            </Project>
            """);
        string program = Path.Combine(project, "Program.cs");
        File.WriteAllText(program, "System.Console.WriteLine(\"first \" + string.Join(' ', args));\n");

        string builds = Path.Combine(checkout, "builds.log");
        string shims = Directory.CreateDirectory(Path.Combine(checkout, "shims")).FullName;
        string dotnet = Path.Combine(shims, "dotnet");
        File.WriteAllText(dotnet, $"""
            #!/bin/bash
            [[ "$1" == publish || "$1" == build ]] && echo "$$ $1" >> '{builds}'
            exec '{RealDotnet()}' "$@"
            """ + "\n");
        File.SetUnixFileMode(dotnet, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var together = Enumerable.Range(0, 3).Select(i => Start(checkout, shims, $"run{i}")).ToList();
        foreach (var (process, stdout, stderr) in together)
        {
            Assert.True(process.WaitForExit(Timeout), "./nextlong did not finish");
            Assert.True(process.ExitCode == 0, $"./nextlong exited {process.ExitCode}: {stderr.Result}");
        }
        Assert.Equal(["first run0", "first run1", "first run2"], together.Select(t => t.Stdout.Result.Trim()).Order(StringComparer.Ordinal));
        foreach (var (process, _, _) in together) process.Dispose();
        Assert.Single(File.ReadAllLines(builds));

        // Fresh: no build. A changed source: one more.
        Assert.Equal("first again", Run(checkout, shims, "again"));
        Assert.Single(File.ReadAllLines(builds));
        File.WriteAllText(program, "System.Console.WriteLine(\"second \" + string.Join(' ', args));\n");
        Assert.Equal("second changed", Run(checkout, shims, "changed"));
        Assert.Equal(2, File.ReadAllLines(builds).Length);
    }

    private static (Process Process, Task<string> Stdout, Task<string> Stderr) Start(string checkout, string shims, string argument)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = checkout };
        info.ArgumentList.Add(Path.Combine(checkout, "nextlong"));
        info.ArgumentList.Add(argument);
        info.Environment["PATH"] = shims + ":" + Environment.GetEnvironmentVariable("PATH");
        var process = Process.Start(info)!;
        return (process, process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
    }

    private static string Run(string checkout, string shims, string argument)
    {
        var (process, stdout, stderr) = Start(checkout, shims, argument);
        using (process)
        {
            Assert.True(process.WaitForExit(Timeout), "./nextlong did not finish");
            Assert.True(process.ExitCode == 0, $"./nextlong exited {process.ExitCode}: {stderr.Result}");
            return stdout.Result.Trim();
        }
    }

    private static string RealDotnet()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, "dotnet");
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new InvalidOperationException("no dotnet on PATH");
    }
}
