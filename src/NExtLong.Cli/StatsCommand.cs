using System.CommandLine;
using NExtLong.Corpus;
using NExtLong.Pipeline;
using NExtLong.Tokenization;

namespace NExtLong.Cli;

/// <summary>`nextlong stats`: a corpus's document length distribution in tokens (paper Table 6).</summary>
internal static class StatsCommand
{
    public static Command Build()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer to count with (the paper used llama3).", DefaultValueFactory = _ => "cl100k_base" };
        var command = new Command("stats", "Document length distribution of a corpus in tokens (Table 6 style).");
        Option[] flags = [NExtLongCommand.Input, tokenizer, .. NExtLongCommand.CorpusFlags, NExtLongCommand.Threads];
        foreach (var o in flags) command.Add(o);
        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            var corpus = NExtLongCommand.BindCorpus(r);
            var sources = corpus.Sources();
            var t = TargetTokenizer.Load(r.GetValue(tokenizer)!);
            var report = new CorpusReadReport();
            var stats = StageProgress.Run(make =>
            {
                var bar = make("stats: documents tokenized", "docs", null);
                var result = CorpusLengthStats.Measure(sources, t, corpus.ReadOptions, report, r.GetValue(NExtLongCommand.Threads), n => bar.Report(n), ct);
                bar.Complete(result.Documents);
                return result;
            });
            Console.WriteLine($"corpus: {string.Join(", ", sources.Select(s => s.Name))}; tokenizer {stats.Tokenizer}");
            Console.WriteLine($"documents {stats.Documents:N0}, tokens {stats.Tokens:N0}, chars/token {(double)stats.Characters / Math.Max(1, stats.Tokens):F3}");
            Console.WriteLine($"length in tokens: mean {stats.Mean:N0}, median {stats.Median:N0}, p90 {stats.P90:N0}, p99 {stats.P99:N0}, max {stats.Max:N0}");
            Console.WriteLine($"0 ≤ length ≤ {CorpusLengthStats.ShortLimit}: {stats.ShareAtMost8192:P2}    length > {CorpusLengthStats.ShortLimit}: {1 - stats.ShareAtMost8192:P2}");
            Console.WriteLine("histogram (documents with length ≤ bound, above the previous bound):");
            foreach (var (upTo, docs) in stats.Histogram)
                Console.WriteLine($"  ≤ {upTo,9:N0}  {docs,9:N0}  {new string('█', (int)Math.Ceiling(40.0 * docs / Math.Max(1, stats.Documents)))}");
            if (report.SkippedTotal > 0) Console.Error.WriteLine(report.Summary());
            return 0;
        })));
        return command;
    }
}
