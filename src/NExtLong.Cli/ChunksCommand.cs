using System.CommandLine;
using NExtLong.External;
using NExtLong.Pipeline;

namespace NExtLong.Cli;

/// <summary>`nextlong chunks`: every chunk the index would hold, as Parquet or JSON-lines shards for embedding elsewhere (<see cref="ChunksStage"/>).</summary>
internal static class ChunksCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder for chunks-NNNNN.parquet (or .jsonl.zst) and manifest.json.", Required = true };
        var shardChunks = new Option<int>("--shard-chunks")
        {
            Description = $"Chunks per shard (one GPU task each), 1 to {ChunksStage.MaxShardChunks}.",
            DefaultValueFactory = _ => ChunksStage.DefaultShardChunks,
        };
        var shardFormat = new Option<string>("--shard-format")
        {
            Description = "parquet (default) or jsonl.zst (JSON lines, zstd: for embedding jobs without a Parquet reader).",
            DefaultValueFactory = _ => ChunkShardFormat.Parquet.Name(),
        };
        var command = new Command("chunks", "Write every chunk `index` would embed, once and in index order, as Parquet or zstd JSON-lines shards (chunk_id, document_id, source, text) with a manifest; embed them elsewhere and build the index with `index --vectors`.");
        Option[] flags = [NExtLongCommand.Input, output, NExtLongCommand.ChunkChars, NExtLongCommand.Chunking, shardChunks, shardFormat,
                     .. NExtLongCommand.CorpusFlags, NExtLongCommand.Threads, NExtLongCommand.Overwrite, .. NExtLongCommand.DistributionFlags];
        foreach (var o in flags) command.Add(o);
        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            var options = new ChunksStage.Options
            {
                Corpus = NExtLongCommand.BindCorpus(r),
                OutDir = r.GetValue(output)!,
                Chunking = NExtLongCommand.BindChunking(r),
                ShardChunks = r.GetValue(shardChunks),
                ShardFormat = ChunkShardFormats.Parse(r.GetValue(shardFormat)!),
                Execution = NExtLongCommand.BindExecution(r),
            };
            options.Validate();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var outcome = StageProgress.Run(make =>
            {
                var bar = make("chunks: written", "chunks", null);
                var result = ChunksStage.Run(options, (docs, chunks) => bar.Report(chunks, $"{docs:N0} documents"), ct);
                bar.Complete(result.Chunks, $"{result.Documents:N0} documents");
                return result;
            });
            if (outcome.Reused)
                Console.Error.WriteLine($"chunks: {options.OutDir} is up to date ({outcome.Chunks:N0} chunks in {outcome.Shards} shards); reused");
            else if (options.Execution.Rank is { } rank)
                Console.Error.WriteLine($"chunks: {rank}: cut {outcome.UnitsDone} of its units ({outcome.Documents:N0} documents, {outcome.Chunks:N0} chunks); {outcome.UnitsTotal} units in all → {options.OutDir}.work");
            else
                Console.Error.WriteLine($"chunks: {outcome.Chunks:N0} chunks of {outcome.Documents:N0} documents in {outcome.Shards} shards in {clock.Elapsed.TotalSeconds:F1} s → {options.OutDir}");
            return 0;
        })));
        return command;
    }
}
