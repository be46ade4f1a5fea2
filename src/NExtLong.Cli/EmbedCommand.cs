using System.CommandLine;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Pipeline;

namespace NExtLong.Cli;

/// <summary>`nextlong embed`: chunks → vectors on their own, with a cache that makes reruns resume (<see cref="EmbedStage"/>).</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder for vectors.flat, embed.json and the embedding cache.", Required = true };
        var command = new Command("embed", "Chunk the corpus and embed every chunk into OUT/vectors.flat; rerun to resume (vectors are cached in OUT/cache).");
        // The corpus and chunking options are `index`'s own, so an embed run and an index run mean the same by them.
        // No --overwrite: a rerun resumes from the cache, and the bound execution options read it as false.
        Option[] flags = [NExtLongCommand.Input, output, NExtLongCommand.ChunkChars, NExtLongCommand.Chunking, NExtLongCommand.Embedder,
                     .. NExtLongCommand.CorpusFlags, NExtLongCommand.Threads, .. NExtLongCommand.DistributionFlags];
        foreach (var o in flags) command.Add(o);
        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            var options = new EmbedStage.Options
            {
                Corpus = NExtLongCommand.BindCorpus(r),
                OutDir = r.GetValue(output)!,
                Chunking = NExtLongCommand.BindChunking(r),
                Embedder = r.GetValue(NExtLongCommand.Embedder)!,
                Execution = NExtLongCommand.BindExecution(r),
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var outcome = StageProgress.Run(make =>
            {
                var bar = make("embed: chunks", "chunks", null);
                var result = EmbedStage.Run(options, (docs, chunks) => bar.Report(chunks, $"{docs:N0} documents"), ct);
                bar.Complete(result.Chunks, $"{result.Documents:N0} documents");
                return result;
            });
            if (options.Execution.Rank is { } rank)
                Console.Error.WriteLine($"embed: {rank}: embedded {outcome.UnitsDone} of its units ({outcome.Chunks:N0} chunks, {outcome.Embedded:N0} embedded, {outcome.CacheHits:N0} from the cache) → {options.OutDir}.work");
            else
                Console.Error.WriteLine($"embed: {outcome.Chunks:N0} chunks of {outcome.Documents:N0} documents in {clock.Elapsed.TotalSeconds:F1} s ({outcome.Embedded:N0} embedded, {outcome.CacheHits:N0} from the cache {outcome.CacheDir}) → {options.OutDir}");
            return 0;
        })));
        return command;
    }
}
