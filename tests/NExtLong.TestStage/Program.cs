using System.CommandLine;
using NExtLong.Cli;
using NExtLong.Pipeline;
using NExtLong.TestStage;

// `line-count --input FILE… --out DIR`: the test stage run locally, as a rank, or merged, through the CLI's own
// rank options (--rank/--world-size, else a Slurm array's variables), --merge and error handling; it does what
// `nextlong index` does with them, for a stage that knows nothing of Slurm.
var input = new Option<string[]>("--input") { Required = true, AllowMultipleArgumentsPerToken = true };
var output = new Option<string>("--out") { Required = true };
var command = new Command("line-count", "Counts the input files' lines (the executor's test stage).")
{
    input, output, NExtLongCommand.Rank, NExtLongCommand.WorldSize, NExtLongCommand.Merge,
};
command.SetAction(r => NExtLongCommand.Guarded(() =>
{
    var stage = new LineCount(r.GetValue(input)!);
    string outDir = r.GetValue(output)!;
    var execution = NExtLongCommand.BindExecution(r);
    execution.Validate();
    bool merge = execution.Merge;
    if (execution.Rank is { } rank)
    {
        var ran = StageExecutor.RunRank(stage, outDir, rank);
        Console.Error.WriteLine($"line-count: {rank}: {ran.Done.Count} of {ran.UnitsOwned} units done");
        return 0;
    }
    int total;
    if (merge)
    {
        using var session = StageExecutor.BeginMerge(stage, outDir);
        total = stage.Merge(session, outDir);
        session.Finish();
    }
    else total = StageExecutor.RunLocal(stage, outDir, session => stage.Merge(session, outDir));
    Console.Error.WriteLine($"line-count: {total} lines → {Path.Combine(outDir, LineCount.ResultFile)}");
    return 0;
}));
return new RootCommand("The executor's test stage as a program.") { command }.Parse(args).Invoke();
