using System.CommandLine;
using NExtLong.Inspection;
using NExtLong.Tokenization;

namespace NExtLong.Cli;

/// <summary>`nextlong verify`: every checksum, id, length, span and count of a dataset checked; exit 1 at the first problem.</summary>
internal static class VerifyCommand
{
    public static Command Build()
    {
        var paths = new Argument<string[]>("path") { Description = "Dataset folders, MDS folders, Megatron prefixes, .idx/.bin or folders of them, Parquet files or folders, or .jsonl.zst files.", Arity = ArgumentArity.OneOrMore };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Check token ids against this tokenizer's vocabulary (for data without a config.json naming one)." };
        var vocabSize = new Option<int?>("--vocab-size") { Description = "Check that every token id is below this." };
        var command = new Command("verify", "Check that a dataset reads back whole: hashes, sizes and offsets, token ids, lengths, spans and counts.") { paths, tokenizer, vocabSize };
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
}
