using System.CommandLine;
using NExtLong.Inspection;
using NExtLong.Tokenization;

namespace NExtLong.Cli;

/// <summary>`nextlong inspect`: any output read back, with schema, counts and a sample.</summary>
internal static class InspectCommand
{
    public static Command Build()
    {
        var path = new Argument<string>("path") { Description = "A dataset folder, an MDS folder, a Megatron prefix, .idx/.bin or a folder of them, Parquet files or folder, or .jsonl.zst files." };
        var sample = new Option<long>("--sample") { Description = "Which sample to show (0-based, at least 0).", DefaultValueFactory = _ => 0 };
        var chars = new Option<int>("--max-chars") { Description = "Characters of text shown, at least 0.", DefaultValueFactory = _ => 300 };
        var items = new Option<int>("--max-items") { Description = "Array items (token ids, rows) shown, at least 0.", DefaultValueFactory = _ => 16 };
        var quick = new Option<bool>("--quick") { Description = "Only what indexes and footers say: no pass over the data to count tokens." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Decode the sample's token ids with this tokenizer (cl100k_base, llama3, …)." };
        var command = new Command("inspect", "Read a dataset back and print its schema, counts, a sample and what verify finds (exit 1 when it is corrupt).") { path, sample, chars, items, quick, tokenizer };
        command.SetAction((r, ct) => Task.FromResult(NExtLongCommand.Guarded(() =>
        {
            var options = new InspectOptions
            {
                Sample = r.GetValue(sample),
                MaxChars = r.GetValue(chars),
                MaxItems = r.GetValue(items),
                Scan = !r.GetValue(quick),
                Tokenizer = r.GetValue(tokenizer) is string spec ? TargetTokenizer.Load(spec) : null,
                Cancellation = ct,
            };
            options.Validate();
            DatasetInspector.Inspect(r.GetValue(path)!, Console.Out, options);
            return 0;
        })));
        return command;
    }
}
