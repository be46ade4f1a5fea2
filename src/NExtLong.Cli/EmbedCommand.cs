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
        var input = new Option<string[]>("--input", "-i")
        {
            Description = "Corpus files, folders or globs: PATH, PATH@WEIGHT or NAME=PATH@WEIGHT. Repeat for several sources.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<string>("--out", "-o") { Description = "Folder for vectors.flat, embed.json and the embedding cache.", Required = true };
        var chunkChars = new Option<int>("--chunk-chars") { Description = $"Chunking granularity s in characters, {ParagraphChunker.MinChunkChars} to {ParagraphChunker.MaxChunkChars}.", DefaultValueFactory = _ => ParagraphChunker.DefaultMaxChars };
        var chunking = new Option<string>("--chunking") { Description = "clean (default) or python-compat.", DefaultValueFactory = _ => "clean" };
        var embedder = new Option<string>("--embedder")
        {
            Description = "glove, use-lite or onnx:MODEL_DIR, with ,KEY=VALUE options (docs/EMBEDDERS.md); cache=DIR shares a cache with `index` runs.",
            DefaultValueFactory = _ => "glove",
        };
        var textField = new Option<string?>("--text-field") { Description = "Field holding the document text (default: text)." };
        var idField = new Option<string?>("--id-field") { Description = "Field holding the document id." };
        var onBad = new Option<string>("--on-bad-record") { Description = "fail or skip.", DefaultValueFactory = _ => "fail" };
        var threads = new Option<int>("--threads") { Description = "Threads calling the embedder, 1 to 1024.", DefaultValueFactory = _ => Math.Min(Environment.ProcessorCount, 1024) };

        var command = new Command("embed", "Chunk the corpus and embed every chunk into OUT/vectors.flat; rerun to resume (vectors are cached in OUT/cache).");
        foreach (var o in new Option[] { input, output, chunkChars, chunking, embedder, textField, idField, onBad, threads, NExtLongCommand.Rank, NExtLongCommand.WorldSize, NExtLongCommand.Merge })
            command.Add(o);
        command.SetAction((r, ct) =>
        {
            try
            {
                var options = new EmbedStage.Options
                {
                    Inputs = r.GetValue(input)!,
                    OutDir = r.GetValue(output)!,
                    ChunkChars = r.GetValue(chunkChars),
                    ChunkingMode = r.GetValue(chunking) switch
                    {
                        "clean" => ChunkingMode.Clean,
                        "python-compat" => ChunkingMode.PythonCompat,
                        var other => throw OptionValidationException.OutOfRange("ChunkingMode", other, "clean or python-compat"),
                    },
                    Embedder = r.GetValue(embedder)!,
                    TextField = r.GetValue(textField),
                    IdField = r.GetValue(idField),
                    OnBadRecord = r.GetValue(onBad) switch
                    {
                        "fail" => CorpusBadRecordAction.Fail,
                        "skip" => CorpusBadRecordAction.Skip,
                        var other => throw OptionValidationException.OutOfRange("OnBadRecord", other, "fail or skip"),
                    },
                    Threads = r.GetValue(threads),
                    Rank = NExtLongCommand.Distributed(r),
                    Merge = r.GetValue(NExtLongCommand.Merge),
                };
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var outcome = StageProgress.Run(make =>
                {
                    var bar = make("embed: chunks", "chunks", null);
                    var result = EmbedStage.Run(options, (docs, chunks) => bar.Report(chunks, $"{docs:N0} documents"), ct);
                    bar.Complete(result.Chunks, $"{result.Documents:N0} documents");
                    return result;
                });
                if (options.Rank is { } rank)
                    Console.Error.WriteLine($"embed: {rank}: embedded {outcome.UnitsDone} of its units ({outcome.Chunks:N0} chunks, {outcome.Embedded:N0} embedded, {outcome.CacheHits:N0} from the cache) → {options.OutDir}.work");
                else
                    Console.Error.WriteLine($"embed: {outcome.Chunks:N0} chunks of {outcome.Documents:N0} documents in {clock.Elapsed.TotalSeconds:F1} s ({outcome.Embedded:N0} embedded, {outcome.CacheHits:N0} from the cache {outcome.CacheDir}) → {options.OutDir}");
                return Task.FromResult(0);
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("nextlong: cancelled; vectors embedded so far are in the cache, rerun to resume");
                return Task.FromResult(130);
            }
            catch (Exception e) when (NExtLongCommand.IsUserError(e))
            {
                Console.Error.WriteLine($"nextlong: error: {CliErrors.Message(e)}");
                return Task.FromResult(1);
            }
        });
        return command;
    }
}
