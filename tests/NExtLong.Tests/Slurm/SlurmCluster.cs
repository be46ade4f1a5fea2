using System.Diagnostics;
using System.Text;

namespace NExtLong.Tests.Slurm;

/// <summary>
/// A real single-node Slurm cluster (Debian's slurm-wlm and munge) for the tests of `nextlong slurm`: installs
/// Slurm/slurm.conf as /etc/slurm/slurm.conf (restoring any earlier one afterwards), starts munged, slurmctld and
/// slurmd, and waits until the node is idle; stops the daemons it started by their PID files. It needs root and
/// the packages; without them the tests fail (CI installs them, see .ci/run) rather than skip.
/// </summary>
public sealed class SlurmCluster : IAsyncLifetime
{
    private const string ConfPath = "/etc/slurm/slurm.conf";
    private const string MungeKey = "/etc/munge/munge.key";
    private const string MungePidFile = "/run/munge/munged.pid";
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    private readonly Dictionary<string, string> _conf;
    private readonly List<(string Name, string PidFile)> _started = [];
    private string? _backup;
    private bool _confInstalled;

    public SlurmCluster()
    {
        _conf = File.ReadAllLines(ConfSource)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#') && l.Contains('=') && !l.StartsWith("NodeName", StringComparison.Ordinal) && !l.StartsWith("PartitionName", StringComparison.Ordinal))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
    }

    /// <summary>The project's test configuration, copied beside the tests.</summary>
    public static string ConfSource => Path.Combine(AppContext.BaseDirectory, "Slurm", "slurm.conf");

    private string SlurmctldPidFile => _conf["SlurmctldPidFile"];
    private string SlurmdPidFile => _conf["SlurmdPidFile"];
    private IEnumerable<string> LogFiles => [_conf["SlurmctldLogFile"], _conf["SlurmdLogFile"], "/var/log/munge/munged.log"];

    public ValueTask InitializeAsync()
    {
        try
        {
            Start();
        }
        catch
        {
            Stop();
            throw;
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private void Start()
    {
        if (!Environment.IsPrivilegedProcess)
            throw new InvalidOperationException("The Slurm tests start a real single-node cluster and must run as root (they write /etc/slurm/slurm.conf and start munged, slurmctld and slurmd); CI runs them as root.");
        string[] missing = [.. new[] { "/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/squeue", "/usr/bin/scontrol", "/usr/bin/sinfo" }.Where(p => !File.Exists(p))];
        if (missing.Length > 0)
            throw new InvalidOperationException($"Slurm is not installed ({string.Join(", ", missing)} missing): apt-get install slurm-wlm munge (.ci/run does this).");
        // Another cluster on the same ports and PID files cannot be shared safely: its configuration is not ours.
        foreach (var (name, pidFile) in new[] { ("slurmctld", SlurmctldPidFile), ("slurmd", SlurmdPidFile) })
        {
            if (RunningPid(pidFile, name) is { } pid)
                throw new InvalidOperationException($"{name} is already running (pid {pid} in {pidFile}); stop it first (kill {pid}) so that the tests can start their own cluster.");
        }

        EnsureMungeKey();
        InstallConf();
        Directory.CreateDirectory("/run/munge");
        Exec("chown", "munge:munge", "/run/munge");
        // Fresh state, so that no job of an earlier run is recovered, and fresh logs, so that their tails are this run's.
        foreach (var key in new[] { "StateSaveLocation", "SlurmdSpoolDir" })
        {
            if (Directory.Exists(_conf[key])) Directory.Delete(_conf[key], recursive: true);
            Directory.CreateDirectory(_conf[key]);
        }
        foreach (var key in new[] { "SlurmctldLogFile", "SlurmdLogFile" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_conf[key])!);
            File.WriteAllText(_conf[key], "");
        }

        // munged serves any local user; one already running (e.g. the system's) is used and left alone.
        if (RunningPid(MungePidFile, "munged") is null)
        {
            Exec("runuser", "-u", "munge", "--", "/usr/sbin/munged");
            _started.Add(("munged", MungePidFile));
        }
        Exec("/usr/sbin/slurmctld"); // daemonizes; the PID goes to SlurmctldPidFile
        _started.Add(("slurmctld", SlurmctldPidFile));
        Exec("/usr/sbin/slurmd", "-N", "localhost"); // the node is named localhost in slurm.conf, whatever the host name
        _started.Add(("slurmd", SlurmdPidFile));

        var clock = Stopwatch.StartNew();
        string state = "";
        while (clock.Elapsed < IdleTimeout)
        {
            var (code, stdout, _) = Exec(check: false, "sinfo", "-h", "-o", "%T");
            state = stdout.Trim();
            if (code == 0 && state == "idle") return;
            Thread.Sleep(250);
        }
        throw new InvalidOperationException($"the Slurm node did not become idle within {IdleTimeout.TotalSeconds:F0} s (sinfo: '{state}').\n{LogTails()}");
    }

    /// <summary>The last lines of the daemons' logs, for failure messages.</summary>
    public string LogTails()
    {
        var text = new StringBuilder();
        foreach (var log in LogFiles)
        {
            text.Append("==> ").Append(log).Append(" <==\n");
            text.AppendJoin('\n', File.Exists(log) ? File.ReadLines(log).TakeLast(20) : ["(missing)"]).Append('\n');
        }
        return text.ToString();
    }

    private static void EnsureMungeKey()
    {
        if (File.Exists(MungeKey)) return;
        Directory.CreateDirectory(Path.GetDirectoryName(MungeKey)!);
        if (File.Exists("/usr/sbin/mungekey")) Exec("/usr/sbin/mungekey", "--create", $"--keyfile={MungeKey}");
        else Exec("dd", "if=/dev/urandom", $"of={MungeKey}", "bs=1024", "count=1");
        Exec("chown", "munge:munge", MungeKey);
        File.SetUnixFileMode(MungeKey, UnixFileMode.UserRead);
    }

    private void InstallConf()
    {
        if (File.Exists(ConfPath))
        {
            _backup = ConfPath + ".nextlong-tests-backup";
            File.Copy(ConfPath, _backup, overwrite: true);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(ConfPath)!);
        File.Copy(ConfSource, ConfPath, overwrite: true);
        _confInstalled = true;
    }

    private void Stop()
    {
        // slurmd first, munged last: the Slurm daemons authenticate through munge until they exit.
        foreach (var (name, pidFile) in Enumerable.Reverse(_started))
        {
            if (RunningPid(pidFile, name) is not { } pid) continue;
            Exec(check: false, "kill", "-TERM", pid.ToString());
            var clock = Stopwatch.StartNew();
            while (IsRunning(pid, name) && clock.Elapsed < TimeSpan.FromSeconds(15)) Thread.Sleep(100);
            if (IsRunning(pid, name)) Exec(check: false, "kill", "-KILL", pid.ToString());
        }
        _started.Clear();
        if (_confInstalled)
        {
            if (_backup is not null) File.Move(_backup, ConfPath, overwrite: true);
            else File.Delete(ConfPath);
            _confInstalled = false;
        }
    }

    /// <summary>The PID in <paramref name="pidFile"/> if that process is alive and is <paramref name="name"/> (not a reused PID).</summary>
    private static int? RunningPid(string pidFile, string name)
        => File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid) && IsRunning(pid, name) ? pid : null;

    private static bool IsRunning(int pid, string name)
    {
        string comm = $"/proc/{pid}/comm";
        try
        {
            return File.Exists(comm) && File.ReadAllText(comm).Trim() == name && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // exited while we looked
        }
    }

    private static void Exec(params string[] command) => Exec(check: true, command);

    private static (int Code, string Stdout, string Stderr) Exec(bool check, params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            p.Kill();
            throw new TimeoutException($"{string.Join(' ', command)} did not finish within 30 s");
        }
        if (check && p.ExitCode != 0)
            throw new InvalidOperationException($"{string.Join(' ', command)} failed (exit code {p.ExitCode}): {stderr.Result.Trim()}");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
