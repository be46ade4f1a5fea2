using System.Runtime.InteropServices;

namespace NExtLong.Cli;

/// <summary>
/// SIGINT (Ctrl-C) and SIGTERM (kill, Slurm's scancel and time limit, systemd, Kubernetes) cancel one token that
/// every stage observes, so the process stops within seconds with only <c>*.partial</c>/<c>*.tmp</c> names left
/// and a rerun resumes. The exit code is the shell's for the signal, 128 + signo: 130 for SIGINT, 143 for SIGTERM.
/// A second signal is not intercepted: it ends the process at once (the default action), for when a user will not
/// wait. System.CommandLine's own handler is turned off (it would, after its timeout, let Main return while
/// worker threads still write); this one never forces an exit.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    public const int SigIntExitCode = 130;
    public const int SigTermExitCode = 143;

    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration? _sigint, _sigterm;
    private int _exitCode;

    public ShutdownSignals()
    {
        if (OperatingSystem.IsAndroid() || OperatingSystem.IsIOS() || OperatingSystem.IsTvOS() || OperatingSystem.IsBrowser())
            return;
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _cts.Token;

    /// <summary>The signal's exit code once one arrived; 0 before.</summary>
    public int ExitCode => Volatile.Read(ref _exitCode);

    /// <summary>The signals of the running command (the process's, or the innermost in-process run); read by <see cref="NExtLongCommand.Guarded"/>.</summary>
    internal static ShutdownSignals? Current { get; set; }

    private void OnSignal(PosixSignalContext context)
    {
        int code = context.Signal == PosixSignal.SIGTERM ? SigTermExitCode : SigIntExitCode;
        // A second signal takes the default action: the process ends now.
        if (Interlocked.CompareExchange(ref _exitCode, code, 0) != 0)
            return;
        context.Cancel = true;
        try
        {
            Console.Error.WriteLine($"nextlong: {context.Signal} received; stopping (send it again to end at once)");
        }
        catch (IOException)
        {
            // stderr gone (a closed pipe): stopping matters more than saying so.
        }
        _cts.Cancel();
    }

    public void Dispose()
    {
        _sigint?.Dispose();
        _sigterm?.Dispose();
        _cts.Dispose();
    }
}
