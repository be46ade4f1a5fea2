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
        Description = "Output formats, several allowed (comma-separated or repeated): jsonl.zst (default), mds (ProLong), mds-text, megatron, parquet.",
        AllowMultipleArgumentsPerToken = true,
        DefaultValueFactory = _ => ["jsonl.zst"],
    };
    private static readonly Option<bool?> AddBos = new("--add-bos") { Description = "Tokenized formats: start each document with BOS (default: if the tokenizer has one, e.g. llama3 128000; cl100k_base has none)." };
    private static readonly Option<bool?> AddEos = new("--add-eos") { Description = "Tokenized formats: end each document with EOS (default: if the tokenizer has one, e.g. llama3 128001, cl100k_base 100257)." };
    private static readonly Option<bool> Reserve = new("--reserve-special-tokens") { Description = "Count BOS/EOS in --target-tokens, so tokenized sequences are exactly T ids (the text gets T minus the special tokens)." };
    private static readonly Option<string> MegatronTokenizer = new("--megatron-tokenizer")
    {
        Description = "megatron format: ids for Megatron-LM's --tokenizer-type: hf (the tokenizer's own ids, default: HuggingFaceTokenizer, Llama3Tokenizer) or tiktoken (TikTokenizer: ranks shifted by --megatron-num-special-tokens, EOS as its </s> 2).",
        DefaultValueFactory = _ => "hf",
    };
    private static readonly Option<int?> MegatronNumSpecialTokens = new("--megatron-num-special-tokens") { Description = "With --megatron-tokenizer tiktoken: Megatron's --tiktoken-num-special-tokens (default 1000)." };
    private static readonly MdsOptions Mds = MdsOptions.Create();

    public static IEnumerable<Option> All => [Format, AddBos, AddEos, Reserve, MegatronTokenizer, MegatronNumSpecialTokens, .. Mds.All];

    /// <summary>Adds the output choices to <paramref name="options"/>; with --reserve-special-tokens, lowers the text target.</summary>
    public static SynthesisStage.Options Apply(ParseResult r, SynthesisStage.Options options)
    {
        var output = new DatasetOutputOptions
        {
            Formats = DatasetWriterFactory.ParseFormats(r.GetValue(Format)!),
            AddBos = r.GetValue(AddBos),
            AddEos = r.GetValue(AddEos),
            Mds = Mds.Parse(r),
            MegatronTokenizer = MegatronIdMapping.Parse(r.GetValue(MegatronTokenizer)!),
            MegatronNumSpecialTokens = r.GetValue(MegatronNumSpecialTokens),
        };
        bool megatronOptions = r.GetResult(MegatronTokenizer) is { Implicit: false } || output.MegatronNumSpecialTokens is not null;
        if (megatronOptions && !output.Formats.Contains(DatasetFormat.Megatron))
            throw new ArgumentException("--megatron-tokenizer and --megatron-num-special-tokens apply only with --format megatron");
        // Refused here, before any indexing, rather than when the writers start.
        if (output.Formats.Contains(DatasetFormat.Megatron) && megatronOptions)
            output.MegatronIds(TargetTokenizer.Load(options.Tokenizer));
        options = options with { Output = output };
        if (!r.GetValue(Reserve))
            return options;
        int specials = output.SpecialTokens(TargetTokenizer.Load(options.Tokenizer)).Count;
        int text = options.Synthesis.TargetTokens - specials;
        if (text < 1)
            throw new ArgumentException($"--target-tokens {options.Synthesis.TargetTokens} leaves no room for text after {specials} special tokens");
        return options with { Synthesis = options.Synthesis with { TargetTokens = text } };
    }
}
