using System.Diagnostics;
using Spectre.Console;

namespace NExtLong.Cli;

/// <summary>
/// Progress for a long stage: a Spectre.Console bar with rate and ETA on a terminal, and a plain line every few
/// seconds when output is redirected (CI logs, Slurm), where live bars would only produce noise.
/// </summary>
internal sealed class StageProgress
{
    private readonly ProgressTask? _task;
    private readonly string _name;
    private readonly string _unit;
    private readonly double? _total;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _lastLine;
    private bool _forceLine;
    private double _lastValue = -1;

    private StageProgress(ProgressTask? task, string name, string unit, double? total)
    {
        _task = task;
        _name = name;
        _unit = unit;
        _total = total;
    }

    public static bool Interactive => AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected && !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="body"/> with progress tasks created by the function it receives (name, unit, total or null).</summary>
    public static T Run<T>(Func<Func<string, string, double?, StageProgress>, T> body)
    {
        if (!Interactive) return body((name, unit, total) => new StageProgress(null, name, unit, total));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RateColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => result = body((name, unit, total) =>
            {
                var task = ctx.AddTask(name, maxValue: total ?? 1);
                task.IsIndeterminate = total is null;
                return new StageProgress(task, name, unit, total);
            }));
        return result;
    }

    public void Report(double value, string? detail = null)
    {
        if (_task is not null)
        {
            if (_total is null) _task.MaxValue = Math.Max(value, 1);
            _task.Value = value;
            if (detail is not null) _task.Description = $"{_name} [grey]{Markup.Escape(detail)}[/]";
            return;
        }
        var now = _clock.Elapsed;
        if (value == _lastValue && _lastValue >= 0) return;
        if (!_forceLine && now - _lastLine < TimeSpan.FromSeconds(5) && value != _total) return;
        _forceLine = false;
        _lastValue = value;
        _lastLine = now;
        double rate = value / Math.Max(now.TotalSeconds, 1e-9);
        string of = _total is double t ? $"/{t:N0}" : "";
        string eta = _total is double total && rate > 0 ? $", ETA {TimeSpan.FromSeconds((total - value) / rate):hh\\:mm\\:ss}" : "";
        Console.Error.WriteLine($"{_name}: {value:N0}{of} {_unit} ({rate:N1} {_unit}/s{eta}){(detail is null ? "" : " " + detail)}");
    }

    public void Complete(double value, string? detail = null)
    {
        if (_task is not null)
        {
            _task.MaxValue = Math.Max(value, 1);
            Report(value, detail);
            _task.StopTask();
            return;
        }
        _forceLine = true;
        Report(value, detail);
    }

    /// <summary>Ends a task that did no work (a stage found its output up to date): the bar disappears and no line is printed.</summary>
    public void Discard()
    {
        if (_task is null) return;
        _task.HideWhenCompleted = true;
        _task.StopTask();
    }

    /// <summary>Items per second from Spectre's own speed estimate.</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime)
            => new Markup(task.Speed is double speed ? $"[blue]{speed:N0}/s[/]" : "[grey]–/s[/]");
    }
}
