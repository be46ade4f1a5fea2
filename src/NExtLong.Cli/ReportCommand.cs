using System.CommandLine;
using NExtLong.Report;

namespace NExtLong.Cli;

/// <summary>`nextlong report`: a self-contained HTML report of one or more dataset folders.</summary>
internal static class ReportCommand
{
    public static Command Build(Func<Func<int>, int> guarded)
    {
        var dirs = new Argument<string[]>("OUT_DIR") { Description = "Dataset folders made by `nextlong synthesize` (several to compare methods).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--output", "-o") { Description = "HTML file to write (default OUT_DIR/report.html of the first folder)." };
        var samples = new Option<int>("--samples") { Description = "Documents per dataset in the viewer, at least 0.", DefaultValueFactory = _ => 2 };
        var command = new Command("report", "Write one self-contained HTML report: length and similarity distributions, meta/negative shares, sources, and a sample viewer.");
        command.Add(dirs);
        command.Add(output);
        command.Add(samples);
        command.SetAction((r, ct) => Task.FromResult(guarded(() =>
        {
            var folders = r.GetValue(dirs)!;
            string path = r.GetValue(output) ?? Path.Combine(folders[0], "report.html");
            ReportBuilder.Write(folders, path, r.GetValue(samples), ct);
            Console.Error.WriteLine($"report: {path} ({new FileInfo(path).Length / 1024:N0} KiB)");
            return 0;
        })));
        return command;
    }
}
