using System.CommandLine;
using NExtLong.Index;
using NExtLong.Inspection;
using NExtLong.Tokenization;

namespace NExtLong.Cli;

/// <summary>`nextlong verify`: every checksum, id, length, span and count of a dataset checked; exit 1 at the first problem.</summary>
internal static class VerifyCommand
{
    public static Command Build()
    {
        var paths = new Argument<string[]>("path") { Description = "Dataset folders, index folders, MDS folders, Megatron prefixes, .idx/.bin or folders of them, Parquet files or folders, or .jsonl.zst files.", Arity = ArgumentArity.OneOrMore };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Check token ids against this tokenizer's vocabulary (for data without a config.json naming one)." };
        var vocabSize = new Option<int?>("--vocab-size") { Description = "Check that every token id is below this." };
        var command = new Command("verify", "Check that a dataset reads back whole (hashes, sizes and offsets, token ids, lengths, spans and counts), or that an index folder's every file matches its checksum.") { paths, tokenizer, vocabSize };
        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            int? vocab = r.GetValue(vocabSize);
            if (vocab <= 0)
                throw new ArgumentException("--vocab-size must be positive");
            var options = new VerifyOptions
            {
                VocabSize = vocab,
                Tokenizer = r.GetValue(tokenizer) is string spec ? TargetTokenizer.Load(spec) : null,
            };
            int code = 0;
            foreach (string path in r.GetValue(paths)!)
            {
                ct.ThrowIfCancellationRequested();
                if (Directory.Exists(path) && ChunkIndex.IsIndexFolder(path))
                {
                    code = Math.Max(code, VerifyIndex(path, ct));
                    continue;
                }
                var result = DatasetVerifier.Verify(path, options);
                if (result.Ok)
                {
                    Console.WriteLine($"{path}: {result.Summary}");
                }
                else
                {
                    Console.Error.WriteLine($"nextlong: error: {result.Failure}");
                    code = 1;
                }
            }
            return code;
        })));
        return command;
    }

    // An index folder: every file hashed whole against manifest.json (none taken on VerifiedFiles' word) and every
    // token cache against its header; what passes is recorded again, so later runs skip hashing it.
    private static int VerifyIndex(string dir, CancellationToken ct)
    {
        try
        {
            using var index = ChunkIndex.Open(dir, ct: ct, threads: Environment.ProcessorCount, rehash: true);
            var caches = ChunkTokenCache.CheckAll(index, ct);
            if (caches.FirstOrDefault(c => c.Damage is not null) is { Path: not null } bad)
            {
                Console.Error.WriteLine($"nextlong: error: {bad.Path}: damaged token cache ({bad.Damage}); rerun synthesize with --token-cache build to make it again");
                return 1;
            }
            Console.WriteLine($"{dir}: index of {index.ChunkCount:N0} chunks; every file matches manifest.json's checksum"
                + (caches.Count switch { 0 => "", 1 => "; its token cache matches its own", _ => $"; its {caches.Count} token caches match their own" }));
            return 0;
        }
        catch (InvalidDataException e)
        {
            Console.Error.WriteLine($"nextlong: error: {e.Message}");
            return 1;
        }
    }
}
