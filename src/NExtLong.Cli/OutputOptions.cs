using System.CommandLine;
using NExtLong.Output;
using NExtLong.Output.Megatron;
using NExtLong.Pipeline;
using NExtLong.Tokenization;

namespace NExtLong.Cli;

/// <summary>The options of `synthesize` and `run` that choose output formats and how tokenized ones frame documents.</summary>
internal static class OutputOptions
{
    private static readonly Option<string[]> Format = new("--format")
    {
        Description = "Output formats, at least one, several allowed (comma-separated or repeated): jsonl.zst (default), mds (ProLong), mds-text, megatron, parquet.",
        AllowMultipleArgumentsPerToken = true,
        DefaultValueFactory = _ => ["jsonl.zst"],
    };
    private static readonly Option<bool?> AddBos = new("--add-bos") { Description = "Tokenized formats (mds, megatron) only: start each document with BOS (default: if the tokenizer has one, e.g. llama3 128000; cl100k_base has none)." };
    private static readonly Option<bool?> AddEos = new("--add-eos") { Description = "Tokenized formats (mds, megatron) only: end each document with EOS (default: if the tokenizer has one, e.g. llama3 128001, cl100k_base 100257)." };
    private static readonly Option<bool> Reserve = new("--reserve-special-tokens") { Description = "Tokenized formats (mds, megatron) only: count BOS/EOS in --target-tokens, so tokenized sequences are exactly T ids (the text gets T minus the special tokens)." };
    private static readonly Option<string> MegatronTokenizer = new("--megatron-tokenizer")
    {
        Description = "megatron format: ids for Megatron-LM's --tokenizer-type: hf (the tokenizer's own ids, default: HuggingFaceTokenizer, Llama3Tokenizer) or tiktoken (TikTokenizer: ranks shifted by --megatron-num-special-tokens, EOS as its </s> 2).",
        DefaultValueFactory = _ => "hf",
    };
    private static readonly Option<int?> MegatronNumSpecialTokens = new("--megatron-num-special-tokens") { Description = "With --megatron-tokenizer tiktoken: Megatron's --tiktoken-num-special-tokens (default 1000)." };
    private static readonly MdsOptions Mds = MdsOptions.Create();

    public static IEnumerable<Option> All => [Format, AddBos, AddEos, Reserve, MegatronTokenizer, MegatronNumSpecialTokens, .. Mds.All];

    /// <summary>The output choices of the command line.</summary>
    public static DatasetOutputOptions Parse(ParseResult r) => new()
    {
        Formats = DatasetWriterFactory.ParseFormats(r.GetValue(Format)!),
        AddBos = r.GetValue(AddBos),
        AddEos = r.GetValue(AddEos),
        Mds = Mds.Parse(r),
        MegatronTokenizer = MegatronIdMapping.Parse(r.GetValue(MegatronTokenizer)!),
        MegatronNumSpecialTokens = r.GetValue(MegatronNumSpecialTokens),
    };

    private static bool MegatronOptionsGiven(ParseResult r)
        => r.GetResult(MegatronTokenizer) is { Implicit: false } || r.GetValue(MegatronNumSpecialTokens) is not null;

    /// <summary>With --reserve-special-tokens, lowers the text target of <paramref name="options"/> (validated) by the BOS/EOS ids.</summary>
    public static SynthesisStage.Options ReserveSpecialTokens(ParseResult r, SynthesisStage.Options options)
    {
        // Refused here, before any indexing, rather than when the writers start.
        if (MegatronOptionsGiven(r) && !options.Output.Formats.Contains(DatasetFormat.Megatron))
            throw new ArgumentException("--megatron-tokenizer and --megatron-num-special-tokens apply only with --format megatron");
        if (options.Output.Formats.Contains(DatasetFormat.Megatron) && MegatronOptionsGiven(r))
            options.Output.MegatronIds(TargetTokenizer.Load(options.Tokenizer));
        if (!r.GetValue(Reserve))
            return options;
        var output = options.Output;
        if (!output.Tokenized)
            throw OptionValidationException.Conflict("ReserveSpecialTokens", true, nameof(DatasetOutputOptions.Formats),
                string.Join(",", output.Formats.Select(DatasetWriterFactory.FormatName)), "only the tokenized formats (mds, megatron) write BOS/EOS ids");
        int specials = output.SpecialTokens(TargetTokenizer.Load(options.Tokenizer)).Count;
        int text = options.Synthesis.TargetTokens - specials;
        if (text < 1)
            throw new ArgumentException($"--target-tokens {options.Synthesis.TargetTokens} leaves no room for text after {specials} special tokens");
        return options with { Synthesis = options.Synthesis with { TargetTokens = text } };
    }
}
