using System.CommandLine;
using NExtLong.Dedup;

namespace NExtLong.Cli;

/// <summary>`nextlong dedup`: exact and MinHash near-duplicate removal (<see cref="DedupStage"/>); `run` calls it first.</summary>
internal static class DedupCommand
{
    internal static readonly Option<string> Method = new("--method") { Description = "exact: copies equal up to Unicode NFC, case and whitespace; minhash (default): those and near copies by MinHash LSH over word 5-grams (14 bands x 8 rows, datatrove's defaults).", DefaultValueFactory = _ => "minhash" };

    public static Command Build()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder for the kept records (SOURCE-NNNNN.jsonl.zst), duplicates.jsonl.zst and stats.json.", Required = true };
        var command = new Command("dedup", "Remove exact and near-duplicate documents; every kept record is written whole (all input fields), one shard per input file.");
        Option[] flags = [NExtLongCommand.Input, output, Method, .. NExtLongCommand.CorpusFlags,
                     NExtLongCommand.Threads, NExtLongCommand.Overwrite, .. NExtLongCommand.DistributionFlags];
        foreach (var o in flags) command.Add(o);
        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            var options = Options(r, r.GetValue(output)!, NExtLongCommand.ParseEnum<DedupMethod>(r.GetValue(Method)!, "--method"));
            Run(options, ct);
            return 0;
        })));
        return command;
    }

    /// <summary>The stage's options from the command line (shared with `run`), validated.</summary>
    internal static DedupStage.Options Options(ParseResult r, string outDir, DedupMethod method)
    {
        var options = new DedupStage.Options
        {
            Corpus = NExtLongCommand.BindCorpus(r),
            OutDir = outDir,
            Method = method,
            Execution = NExtLongCommand.BindExecution(r),
        };
        options.Validate();
        return options;
    }

    internal static DedupStage.Outcome Run(DedupStage.Options options, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = StageProgress.Run(make =>
        {
            var sign = make("dedup: documents signed", "docs", null);
            var write = options.Execution.Rank is null ? make("dedup: documents written", "docs", null) : null;
            return DedupStage.Run(options, (phase, docs) =>
            {
                if (phase == "sign") sign.Report(docs);
                else write?.Report(docs);
            }, ct);
        });
        var s = outcome.Stats;
        if (outcome.Reused && s is not null)
            Console.Error.WriteLine($"dedup: {options.OutDir} is up to date ({s.DocumentsKept:N0} of {s.DocumentsRead:N0} documents kept); reused");
        else if (options.Execution.Rank is { } rank)
            Console.Error.WriteLine(outcome.Reused
                ? $"dedup: {rank}: {options.OutDir} is already complete; nothing to do"
                : $"dedup: {rank}: signed {outcome.UnitsDone} of its units in {clock.Elapsed.TotalSeconds:F1} s; {outcome.UnitsTotal} units in all → {options.OutDir}.work");
        else if (s is not null)
            Console.Error.WriteLine($"dedup: {s.DocumentsRead:N0} documents, kept {s.DocumentsKept:N0}, removed {s.RemovedExact:N0} exact and {s.RemovedNear:N0} near copies ({(double)(s.TextBytesRemovedExact + s.TextBytesRemovedNear) / Math.Max(1, s.TextBytesRead):P1} of the text) in {clock.Elapsed.TotalSeconds:F1} s → {options.OutDir}");
        return outcome;
    }
}
