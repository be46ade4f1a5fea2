using NExtLong.Retrieval;
using NExtLong.Inspection;
using NExtLong.Output;
using NExtLong.Output.Mds;
using NExtLong.Packing;
using NExtLong.Pipeline;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>
/// Every option is checked where it is defined (the options records' Validate()), before any file is created; the
/// CLI reports a bad one in one line naming the flag and its allowed range.
/// </summary>
public class OptionValidationTests
{
    private const string Corpus = "{CORPUS}";
    private const string Out = "{OUT}";

    // args ({OUT}: a folder that must not be created; {CORPUS}: the sample corpus), the flag named, the range given.
    public static TheoryData<string[], string, string> BadCommandLines => new()
    {
        // synthesize / run: the examples
        { ["run", "--input", Corpus, "--out", Out, "--target-tokens", "0"], "--target-tokens", "in [1, 16777216]" },
        { ["run", "--input", Corpus, "--out", Out, "--target-tokens", "-5"], "--target-tokens", "in [1, 16777216]" },
        { ["run", "--input", Corpus, "--out", Out, "--target-tokens", "16777217"], "--target-tokens", "in [1, 16777216]" },
        { ["run", "--input", Corpus, "--out", Out, "--oversampling", "0"], "--oversampling", "in (0, 100]" },
        { ["run", "--input", Corpus, "--out", Out, "--oversampling", "-1"], "--oversampling", "in (0, 100]" },
        { ["run", "--input", Corpus, "--out", Out, "--oversampling", "NaN"], "--oversampling", "in (0, 100]" },
        { ["run", "--input", Corpus, "--out", Out, "--oversampling", "Infinity"], "--oversampling", "in (0, 100]" },
        { ["run", "--input", Corpus, "--out", Out, "--documents-per-part", "0"], "--documents-per-part", "at least 1" },
        { ["run", "--input", Corpus, "--out", Out, "--near-duplicate-threshold", "-2"], "--near-duplicate-threshold", "in (0, 2]" },
        { ["run", "--input", Corpus, "--out", Out, "--near-duplicate-threshold", "0"], "--near-duplicate-threshold", "in (0, 2]" },
        { ["run", "--input", Corpus, "--out", Out, "--near-duplicate-threshold", "3"], "--near-duplicate-threshold", "in (0, 2]" },
        { ["run", "--input", Corpus, "--out", Out, "--threads", "0"], "--threads", "in [1, 1024]" },
        { ["run", "--input", Corpus, "--out", Out, "--threads", "-4"], "--threads", "in [1, 1024]" },
        { ["run", "--input", Corpus, "--out", Out, "--threads", "1025"], "--threads", "in [1, 1024]" },
        { ["run", "--input", Corpus, "--out", Out, "--negatives", "tailk", "--candidate-pool", "0"], "--candidate-pool", "in [1, 65536]" },
        { ["run", "--input", Corpus, "--out", Out, "--num-samples", "0"], "--num-samples", "at least 1" },
        { ["synthesize", "--index", "{OUT}/index", "--input", Corpus, "--out", Out, "-n", "-3"], "--num-samples", "at least 1" },
        { ["run", "--input", Corpus, "--out", Out, "--chunk-chars", "10"], "--chunk-chars", "in [64, 1048576]" },
        { ["run", "--input", Corpus, "--out", Out, "--method", "bogus"], "--method", "one of nextlong, standard, knn, iclm, quest" },
        { ["run", "--input", Corpus, "--out", Out, "--negatives", "2"], "--negatives", "one of topk, tailk" },
        { ["run", "--input", Corpus, "--out", Out, "--placement", "middle"], "--placement", "one of head, tail, random" },
        { ["run", "--input", Corpus, "--out", Out, "--on-bad-record", "ignore"], "--on-bad-record", "fail or skip" },
        { ["run", "--input", Corpus, "--out", Out, "--chunking", "python"], "--chunking", "clean or python-compat" },
        { ["run", "--input", Corpus, "--out", Out, "--index-spec", "HNSW32"], "--index-spec", "Flat or IVF" },
        { ["run", "--input", Corpus, "--out", Out, "--token-cache", "sometimes"], "--token-cache", "one of off, use, build, auto" },
        // the tokenizer, before dedup and index spend hours on the corpus
        { ["run", "--input", Corpus, "--out", Out, "--tokenizer", "cl100k"], "--tokenizer", "cl100k_base (default), o200k_base, llama3, tiktoken:PATH" },
        { ["run", "--input", Corpus, "--out", Out, "--tokenizer", "tiktoken:{OUT}/missing.tiktoken"], "--tokenizer", "not found" },
        { ["slurm", "--input", Corpus, "--out", Out, "--tokenizer", "sentencepiece:{OUT}/missing.model", "--dry-run"], "--tokenizer", "not found" },
        { ["stats", "--input", Corpus, "--tokenizer", "gpt2"], "--tokenizer", "cl100k_base (default)" },
        // meaningless combinations
        { ["index", "--input", Corpus, "--out", Out, "--embedder", "use-lite"], "--embedder 'use-lite'", "--retriever bm25" },
        { ["index", "--input", Corpus, "--out", Out, "--embedder", "glove"], "--embedder 'glove'", "--retriever bm25" },
        { ["run", "--input", Corpus, "--out", Out, "--retriever", "bm25", "--embedder", "glove"], "--embedder 'glove'", "--retriever bm25" },
        { ["run", "--input", Corpus, "--out", Out, "--method", "knn", "--negatives", "tailk"], "--negatives", "--method knn" },
        { ["run", "--input", Corpus, "--out", Out, "--method", "standard", "--negatives", "topk"], "--negatives", "--method standard" },
        { ["run", "--input", Corpus, "--out", Out, "--method", "iclm", "--placement", "tail"], "--placement", "--method iclm" },
        { ["run", "--input", Corpus, "--out", Out, "--method", "quest", "--candidate-pool", "512"], "--candidate-pool", "--method quest" },
        { ["run", "--input", Corpus, "--out", Out, "--method", "knn", "--oversampling", "2"], "--oversampling", "--method knn" },
        { ["run", "--input", Corpus, "--out", Out, "--method", "knn", "--near-duplicate-threshold", "0.9"], "--near-duplicate-threshold", "--method knn" },
        { ["run", "--input", Corpus, "--out", Out, "--candidate-pool", "100"], "--candidate-pool", "--negatives topk" },
        { ["run", "--input", Corpus, "--out", Out, "--negatives", "selfrepeat", "--candidate-pool", "100"], "--candidate-pool", "--negatives selfrepeat" },
        { ["run", "--input", Corpus, "--out", Out, "--negatives", "randomd", "--candidate-pool", "100"], "--candidate-pool", "--negatives randomd" },
        { ["run", "--input", Corpus, "--out", Out, "--negatives", "selfrepeat", "--near-duplicate-threshold", "0.5"], "--near-duplicate-threshold", "--negatives selfrepeat" },
        { ["run", "--input", Corpus, "--out", Out, "--add-bos", "true"], "--add-bos", "--format 'jsonl.zst'" },
        { ["run", "--input", Corpus, "--out", Out, "--format", "parquet", "--add-eos", "false"], "--add-eos", "--format 'parquet'" },
        { ["run", "--input", Corpus, "--out", Out, "--reserve-special-tokens"], "--reserve-special-tokens", "--format 'jsonl.zst'" },
        { ["run", "--input", Corpus, "--out", Out, "--mds-compression", "zstd"], "--mds-compression", "--format 'jsonl.zst'" },
        { ["run", "--input", Corpus, "--out", Out, "--format", "megatron", "--mds-size-limit", "65536"], "--mds-size-limit", "--format 'megatron'" },
        { ["synthesize", "--index", "{OUT}/index", "--input", Corpus, "--out", Out, "--merge", "--rank", "0", "--world-size", "2"], "--merge", "--rank" },
        // output and MDS
        { ["run", "--input", Corpus, "--out", Out, "--format", "mds", "--mds-size-limit", "5"], "--mds-size-limit", "in [1024, 2147483646]" },
        { ["run", "--input", Corpus, "--out", Out, "--format", "mds", "--mds-compression", "gz"], "--mds-compression", "zstd or zstd:LEVEL" },
        { ["run", "--input", Corpus, "--out", Out, "--format", "mds", "--mds-compression", "zstd:99"], "--mds-compression", "zstd or zstd:LEVEL" },
        { ["run", "--input", Corpus, "--out", Out, "--format", "mds", "--mds-hashes", "md5x"], "--mds-hashes", "one of" },
        { ["run", "--input", Corpus, "--out", Out, "--format", "tar"], "--format", "jsonl.zst" },
        // parse errors: one line too
        { ["run", "--input", Corpus, "--out", Out, "--threads", "abc"], "--threads", "a whole number" },
        { ["run", "--input", Corpus, "--out", Out, "--seed", "-1"], "--seed", "[0, 18446744073709551615]" },
        { ["run", "--input", Corpus, "--out", Out, "--oversampling", "lots"], "--oversampling", "a number" },
        // a flag takes no word it cannot read as true/false: the word is left over
        { ["run", "--input", Corpus, "--out", Out, "--add-bos", "maybe"], "Unrecognized", "'maybe'" },
        { ["run", "--input", Corpus, "--out", Out, "--no-such-option"], "Unrecognized", "--no-such-option" },
        // index, embed: ranks
        { ["index", "--input", Corpus, "--out", Out, "--threads", "0"], "--threads", "in [1, 1024]" },
        { ["index", "--input", Corpus, "--out", Out, "--chunk-chars", "2000000"], "--chunk-chars", "in [64, 1048576]" },
        { ["index", "--input", Corpus, "--out", Out, "--rank", "2", "--world-size", "2"], "--rank", "in [0, 1]" },
        { ["index", "--input", Corpus, "--out", Out, "--rank", "-1", "--world-size", "2"], "--rank", "in [0, 1]" },
        { ["index", "--input", Corpus, "--out", Out, "--rank", "0", "--world-size", "0"], "--world-size", "at least 1" },
        { ["index", "--input", Corpus, "--out", Out, "--rank", "0", "--world-size", "1", "--merge"], "--merge", "--rank" },
        { ["index", "--input", Corpus, "--out", Out, "--rank", "0"], "--rank", "--world-size" },
        { ["embed", "--input", Corpus, "--out", Out, "--threads", "-1"], "--threads", "in [1, 1024]" },
        { ["embed", "--input", Corpus, "--out", Out, "--chunk-chars", "0"], "--chunk-chars", "in [64, 1048576]" },
        { ["embed", "--input", Corpus, "--out", Out, "--rank", "0", "--world-size", "2", "--merge"], "--merge", "--rank" },
        // slurm: checked before a script is written
        { ["slurm", "--input", Corpus, "--out", Out, "--dry-run", "--target-tokens", "0"], "--target-tokens", "in [1, 16777216]" },
        { ["slurm", "--input", Corpus, "--out", Out, "--dry-run", "--chunk-chars", "1"], "--chunk-chars", "in [64, 1048576]" },
        { ["slurm", "--input", Corpus, "--out", Out, "--dry-run", "--method", "knn", "--negatives", "tailk"], "--negatives", "--method knn" },
        { ["slurm", "--input", Corpus, "--out", Out, "--dry-run", "--synthesis-tasks", "0"], "--synthesis-tasks", "at least 1" },
        { ["slurm", "--input", Corpus, "--out", Out, "--dry-run", "--cpus-per-task", "0"], "--cpus-per-task", "in [1, 1024]" },
        // pack, mix
        { ["pack", "{OUT}/in", "-o", Out, "--pack-length", "0"], "--pack-length", "at least 2" },
        { ["pack", "{OUT}/in", "-o", Out, "--pack-length", "100", "--min-length", "101"], "--min-length", "in [1, 100]" },
        { ["pack", "{OUT}/in", "-o", Out, "--min-length", "0"], "--min-length", "in [1, 524288]" },
        { ["pack", "{OUT}/in", "-o", Out, "--shuffle", "false", "--seed", "7"], "--seed", "--shuffle false" },
        { ["pack", "{OUT}/in", "-o", Out, "--mds-size-limit", "1023"], "--mds-size-limit", "in [1024, 2147483646]" },
        { ["mix", "{OUT}/a", "-o", Out, "-n", "0"], "--num-samples", "at least 1" },
        { ["mix", "{OUT}/a@0", "-o", Out], "{OUT}/a@0", "positive number" },
        { ["mix", "{OUT}/a@-2", "-o", Out], "{OUT}/a@-2", "positive number" },
        { ["mix", "{OUT}/a@NaN", "-o", Out], "{OUT}/a@NaN", "positive number" },
        // inspect, report, stats
        { ["inspect", Out, "--sample", "-1"], "--sample", "at least 0" },
        { ["inspect", Out, "--max-chars", "-1"], "--max-chars", "at least 0" },
        { ["inspect", Out, "--max-items", "-1"], "--max-items", "at least 0" },
        { ["report", "{OUT}/in", "-o", "{OUT}/report.html", "--samples", "-1"], "--samples", "at least 0" },
        { ["stats", "--input", Corpus, "--threads", "0"], "--threads", "in [1, 1024]" },
    };

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public void A_bad_option_is_one_line_naming_flag_and_range_and_creates_nothing(string[] args, string flag, string range)
    {
        string root = TempDir.Create();
        string outDir = Path.Combine(root, "out");
        string Fill(string a) => a.Replace(Out, outDir).Replace(Corpus, SampleIndexFixture.SamplePath);
        var (code, _, stderr) = CliProcess.Run([.. args.Select(Fill)]);

        Assert.Equal(1, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{stderr}");
        Assert.StartsWith("nextlong: error: ", lines[0]);
        Assert.Contains(Fill(flag), lines[0]);
        Assert.Contains(Fill(range), lines[0]);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Exception", stderr);
        // Nothing written: not the folder, nor anything beside it (index, work folder, scripts, report).
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any(), $"{outDir} holds files");
        Assert.Empty(Directory.EnumerateFileSystemEntries(root).Where(p => p != outDir));
    }

    [Fact]
    public void An_embedder_for_a_retrieval_that_embeds_nothing_is_refused_and_creates_nothing()
    {
        // --embedder on synthesize embeds meta-chunks for an index of imported vectors; a bm25 index would ignore it
        // (and record it in config.json as if it had been used).
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, 1, 40);
        string index = Path.Combine(root, "index");
        Assert.Equal(0, CliProcess.Run("index", "--input", corpus, "--out", index).ExitCode);
        string outDir = Path.Combine(root, "out");
        var (code, _, stderr) = CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", outDir, "-n", "1", "--target-tokens", "1024", "--embedder", "glove");
        Assert.Equal(1, code);
        Assert.Equal("nextlong: error: --embedder must be only for an index of imported vectors (embedder vectors:NAME) (got 'glove'): a bm25 retrieval embeds nothing", stderr.Trim());
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Help_states_the_ranges()
    {
        var (code, stdout, _) = CliProcess.Run("run", "--help");
        Assert.Equal(0, code);
        foreach (string range in new[] { "1 to 16777216", "in (0, 2]", "in (0, 100]", "1 to 1024", "64 to 1048576", "1 to 65536", "NExtLong only" })
            Assert.Contains(range, stdout);
    }

    // Library level: Validate() directly, for the bad values and for the valid boundaries.

    private static void Refused(Action validate, string property, string? fragment = null)
    {
        var e = Assert.Throws<OptionValidationException>(validate);
        Assert.Equal(property, e.Property);
        Assert.StartsWith(property, e.Message);
        if (fragment is not null) Assert.Contains(fragment, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    public static TheoryData<SynthesisOptions, string> BadSynthesisOptions => new()
    {
        { new SynthesisOptions { TargetTokens = 0 }, "TargetTokens" },
        { new SynthesisOptions { TargetTokens = int.MaxValue }, "TargetTokens" },
        { new SynthesisOptions { NumSamples = 0 }, "NumSamples" },
        { new SynthesisOptions { Oversampling = 0 }, "Oversampling" },
        { new SynthesisOptions { Oversampling = double.NaN }, "Oversampling" },
        { new SynthesisOptions { Oversampling = double.PositiveInfinity }, "Oversampling" },
        { new SynthesisOptions { Oversampling = 100.0001 }, "Oversampling" },
        { new SynthesisOptions { NearDuplicateThreshold = -2 }, "NearDuplicateThreshold" },
        { new SynthesisOptions { NearDuplicateThreshold = 0 }, "NearDuplicateThreshold" },
        { new SynthesisOptions { NearDuplicateThreshold = float.NaN }, "NearDuplicateThreshold" },
        { new SynthesisOptions { NearDuplicateThreshold = 2.01f }, "NearDuplicateThreshold" },
        { new SynthesisOptions { FalseNegativeThreshold = 0 }, "FalseNegativeThreshold" },
        { new SynthesisOptions { FalseNegativeThreshold = 1.0001 }, "FalseNegativeThreshold" },
        { new SynthesisOptions { FalseNegativeThreshold = double.NaN }, "FalseNegativeThreshold" },
        { new SynthesisOptions { Method = SynthesisMethod.Iclm, FalseNegativeThreshold = 0.8 }, "FalseNegativeThreshold" },
        { new SynthesisOptions { Selection = NegativeSelection.SelfRepeat, FalseNegativeThreshold = 0.8 }, "FalseNegativeThreshold" },
        { new SynthesisOptions { Separator = null! }, "Separator" },
        { new SynthesisOptions { MaxAttempts = 0 }, "MaxAttempts" },
        { new SynthesisOptions { MaxAttempts = 33 }, "MaxAttempts" },
        { new SynthesisOptions { EncodingRateSampleChars = 0 }, "EncodingRateSampleChars" },
        { new SynthesisOptions { Method = (SynthesisMethod)9 }, "Method" },
        { new SynthesisOptions { Placement = (MetaChunkPlacement)9 }, "Placement" },
        { new SynthesisOptions { Selection = (NegativeSelection)9 }, "Selection" },
        { new SynthesisOptions { Selection = NegativeSelection.TailK, CandidatePool = 0 }, "CandidatePool" },
        { new SynthesisOptions { Selection = NegativeSelection.TailK, CandidatePool = 65_537 }, "CandidatePool" },
        { new SynthesisOptions { DocumentsPerPart = 0 }, "DocumentsPerPart" },
        { new SynthesisOptions { Method = SynthesisMethod.Knn, Selection = NegativeSelection.TailK }, "Selection" },
        { new SynthesisOptions { Method = SynthesisMethod.Standard, Placement = MetaChunkPlacement.Tail }, "Placement" },
        { new SynthesisOptions { Method = SynthesisMethod.Iclm, Oversampling = 2 }, "Oversampling" },
        { new SynthesisOptions { Method = SynthesisMethod.Quest, NearDuplicateThreshold = 0.5f }, "NearDuplicateThreshold" },
        { new SynthesisOptions { CandidatePool = 100 }, "CandidatePool" },
        { new SynthesisOptions { Selection = NegativeSelection.SelfRepeat, NearDuplicateThreshold = 0.5f }, "NearDuplicateThreshold" },
    };

    [Theory]
    [MemberData(nameof(BadSynthesisOptions))]
    public void Synthesis_options_out_of_range_are_refused(SynthesisOptions options, string property) => Refused(() => options.Validate(), property);

    [Fact]
    public void Library_messages_name_property_value_and_range()
    {
        var e = Assert.Throws<OptionValidationException>(() => new SynthesisOptions { TargetTokens = 0 }.Validate());
        Assert.Equal("TargetTokens must be in [1, 16777216], not 0", e.Message);
        Assert.Equal(0L, e.Value);
        Assert.Equal("--target-tokens must be in [1, 16777216] (got 0)", e.Describe(p => p == "TargetTokens" ? "--target-tokens" : p));
        var conflict = Assert.Throws<OptionValidationException>(() => new SynthesisOptions { Method = SynthesisMethod.Knn, Selection = NegativeSelection.TailK }.Validate());
        Assert.StartsWith("Selection tailk makes no sense with Method knn", conflict.Message);
        Assert.Equal("Method", conflict.ConflictsWith);
    }

    public static TheoryData<SynthesisOptions> ValidSynthesisOptions => new()
    {
        new SynthesisOptions(),
        new SynthesisOptions { TargetTokens = 1, NumSamples = 1, DocumentsPerPart = 1, MaxAttempts = 1, EncodingRateSampleChars = 1 },
        new SynthesisOptions { TargetTokens = SynthesisOptions.MaxTargetTokens, NumSamples = int.MaxValue, DocumentsPerPart = int.MaxValue, MaxAttempts = 32 },
        new SynthesisOptions { Oversampling = double.Epsilon, NearDuplicateThreshold = float.Epsilon, Separator = "" },
        new SynthesisOptions { Oversampling = 100, NearDuplicateThreshold = 2, Seed = ulong.MaxValue },
        new SynthesisOptions { NearDuplicateThreshold = 1, Seed = 0 },
        new SynthesisOptions { FalseNegativeThreshold = 1 },
        new SynthesisOptions { FalseNegativeThreshold = 0.01 },
        new SynthesisOptions { Selection = NegativeSelection.TailK, CandidatePool = 1 },
        new SynthesisOptions { Selection = NegativeSelection.RandomR, CandidatePool = 65_536, Placement = MetaChunkPlacement.Random },
        new SynthesisOptions { Selection = NegativeSelection.SelfRepeat, Placement = MetaChunkPlacement.Tail },
        new SynthesisOptions { Selection = NegativeSelection.RandomD, NearDuplicateThreshold = 0.5f },
        new SynthesisOptions { Method = SynthesisMethod.Knn, TargetTokens = 4096, NumSamples = 3, Seed = 7, Separator = "\n" },
        new SynthesisOptions { Method = SynthesisMethod.Quest },
    };

    [Theory]
    [MemberData(nameof(ValidSynthesisOptions))]
    public void Valid_synthesis_options_and_boundaries_pass(SynthesisOptions options) => options.Validate();

    [Fact]
    public void Explicitly_given_defaults_conflict_only_when_the_caller_says_so()
    {
        var knn = new SynthesisOptions { Method = SynthesisMethod.Knn };
        knn.Validate();
        Refused(() => knn.Validate(p => p == "Selection"), "Selection", "makes no sense with Method knn");
        Refused(() => new SynthesisOptions().Validate(p => p == "CandidatePool"), "CandidatePool", "Selection topk");
        new SynthesisOptions { Selection = NegativeSelection.TailK }.Validate(p => p == "CandidatePool");
    }

    private static readonly CorpusInputOptions CorpusOk = new() { Inputs = ["corpus.jsonl"] };

    public static TheoryData<CorpusInputOptions, string> BadCorpusInputOptions => new()
    {
        { CorpusOk with { Inputs = [] }, "Inputs" },
        { CorpusOk with { Inputs = [" "] }, "Inputs" },
        { CorpusOk with { OnBadRecord = (NExtLong.Corpus.CorpusBadRecordAction)5 }, "OnBadRecord" },
    };

    [Theory]
    [MemberData(nameof(BadCorpusInputOptions))]
    public void Corpus_input_options_out_of_range_are_refused(CorpusInputOptions options, string property) => Refused(() => options.Validate(), property);

    public static TheoryData<ExecutionOptions, string> BadExecutionOptions => new()
    {
        { new ExecutionOptions { Threads = 0 }, "Threads" },
        { new ExecutionOptions { Threads = -1 }, "Threads" },
        { new ExecutionOptions { Threads = ExecutionOptions.MaxThreads + 1 }, "Threads" },
        { new ExecutionOptions { Rank = new RankAssignment(3, 3) }, "Rank" },
        { new ExecutionOptions { Rank = new RankAssignment(0, 0) }, "WorldSize" },
        { new ExecutionOptions { Rank = new RankAssignment(0, 2), Merge = true }, "Merge" },
    };

    [Theory]
    [MemberData(nameof(BadExecutionOptions))]
    public void Execution_options_out_of_range_are_refused(ExecutionOptions options, string property) => Refused(() => options.Validate(), property);

    [Fact]
    public void Execution_and_corpus_input_boundaries_pass()
    {
        CorpusOk.Validate();
        (CorpusOk with { TextField = "content", IdField = "url", OnBadRecord = NExtLong.Corpus.CorpusBadRecordAction.Skip }).Validate();
        new ExecutionOptions().Validate();
        new ExecutionOptions { Threads = 1, Overwrite = true }.Validate();
        new ExecutionOptions { Threads = ExecutionOptions.MaxThreads, Rank = new RankAssignment(2, 3) }.Validate();
        new ExecutionOptions { Merge = true }.Validate();
        Assert.InRange(new ExecutionOptions().Threads, 1, ExecutionOptions.MaxThreads);
    }

    private static IndexStage.Options IndexOk => new() { Retriever = RetrieverKind.Dense, Corpus = CorpusOk, OutDir = "out" };

    [Fact]
    public void Index_options_are_checked()
    {
        IndexOk.Validate();
        (IndexOk with { Chunking = new() { ChunkChars = 64 }, Execution = new() { Threads = 1 } }).Validate();
        (IndexOk with { Chunking = new() { ChunkChars = 1 << 20, ChunkingMode = Chunking.ChunkingMode.PythonCompat }, IndexSpec = "IVF16,SQ8", Execution = new() { Threads = 1024, Rank = new RankAssignment(2, 3) } }).Validate();
        (IndexOk with { Execution = new() { Merge = true } }).Validate();
        Refused(() => (IndexOk with { Chunking = new() { ChunkChars = 63 } }).Validate(), "ChunkChars");
        Refused(() => (IndexOk with { Chunking = new() { ChunkChars = (1 << 20) + 1 } }).Validate(), "ChunkChars");
        Refused(() => (IndexOk with { OutDir = "" }).Validate(), "OutDir");
        Refused(() => (IndexOk with { Embedder = "" }).Validate(), "Embedder");
        Refused(() => (IndexOk with { IndexSpec = "HNSW" }).Validate(), "IndexSpec");
        Refused(() => (IndexOk with { Chunking = new() { ChunkingMode = (Chunking.ChunkingMode)5 } }).Validate(), "ChunkingMode");
        Refused(() => (IndexOk with { Chunking = null! }).Validate(), "Chunking");
        // The shared records are checked as part of every stage's options.
        Refused(() => (IndexOk with { Corpus = CorpusOk with { Inputs = [] } }).Validate(), "Inputs");
        Refused(() => (IndexOk with { Execution = new() { Threads = 0 } }).Validate(), "Threads");
        Refused(() => (IndexOk with { Corpus = null! }).Validate(), "Corpus");
        Refused(() => (IndexOk with { Execution = null! }).Validate(), "Execution");
        Refused(() => (IndexOk with { Vectors = ["v.npy"], Execution = new() { Merge = true } }).Validate(), "Vectors", "Merge");
        // Run checks first: nothing is created.
        string dir = Path.Combine(TempDir.Create(), "index");
        Assert.Throws<OptionValidationException>(() => IndexStage.Run(IndexOk with { OutDir = dir, Execution = new() { Threads = 0 } }));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Embed_options_are_checked()
    {
        var ok = new EmbedStage.Options { Corpus = CorpusOk, OutDir = "out" };
        ok.Validate();
        (ok with { Chunking = new() { ChunkChars = 64 }, Execution = new() { Threads = 1024, Rank = new RankAssignment(0, 1) } }).Validate();
        Refused(() => (ok with { Chunking = new() { ChunkChars = 0 } }).Validate(), "ChunkChars");
        Refused(() => (ok with { Execution = new() { Threads = -1 } }).Validate(), "Threads");
        Refused(() => (ok with { Execution = new() { Rank = new RankAssignment(0, 1), Merge = true } }).Validate(), "Merge");
        // embed never replaces anything: a rerun resumes from its cache.
        Refused(() => (ok with { Execution = new() { Overwrite = true } }).Validate(), "Overwrite");
        string dir = Path.Combine(TempDir.Create(), "embed");
        Assert.Throws<OptionValidationException>(() => EmbedStage.Run(ok with { OutDir = dir, Chunking = new() { ChunkChars = 1 } }));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Synthesis_stage_options_are_checked_before_anything_is_opened()
    {
        var ok = new SynthesisStage.Options { IndexDir = "index", Corpus = new() { Inputs = ["corpus.jsonl"] }, OutDir = "out" };
        ok.Validate();
        Refused(() => (ok with { OutDir = "index" }).Validate(), "OutDir", "IndexDir");
        Refused(() => (ok with { Tokenizer = "" }).Validate(), "Tokenizer");
        Refused(() => (ok with { Synthesis = new SynthesisOptions { DocumentsPerPart = 0 } }).Validate(), "DocumentsPerPart");
        Refused(() => (ok with { Output = new DatasetOutputOptions { AddBos = true } }).Validate(), "AddBos", "Formats 'jsonl.zst'");
        Refused(() => (ok with { Execution = new() { Rank = new RankAssignment(0, 2), Merge = true } }).Validate(), "Merge");
        Refused(() => (ok with { Execution = new() { Threads = 1025 } }).Validate(), "Threads");
        Refused(() => (ok with { Corpus = CorpusOk with { OnBadRecord = (NExtLong.Corpus.CorpusBadRecordAction)5 } }).Validate(), "OnBadRecord");
        // The index does not exist: the options are refused first, and no folder is made.
        string dir = Path.Combine(TempDir.Create(), "out");
        var e = Assert.Throws<OptionValidationException>(() => SynthesisStage.Run(ok with { OutDir = dir, Synthesis = new SynthesisOptions { TargetTokens = -5 } }));
        Assert.Equal("TargetTokens", e.Property);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Output_and_mds_options_are_checked()
    {
        new DatasetOutputOptions().Validate();
        new DatasetOutputOptions { Formats = [DatasetFormat.Mds], AddBos = false, AddEos = true, Mds = new MdsWriterOptions { SizeLimit = 1024, Compression = "zstd:22", Hashes = ["xxh64"] } }.Validate();
        new DatasetOutputOptions { Formats = [DatasetFormat.MdsText], Mds = new MdsWriterOptions { SizeLimit = MdsWriterOptions.MaxSizeLimit, Compression = "zstd:1" } }.Validate();
        new DatasetOutputOptions { Formats = [DatasetFormat.Megatron, DatasetFormat.Parquet], AddBos = true }.Validate();
        Refused(() => new DatasetOutputOptions { Formats = [] }.Validate(), "Formats");
        Refused(() => new DatasetOutputOptions { Formats = [(DatasetFormat)99] }.Validate(), "Formats");
        Refused(() => new DatasetOutputOptions { Formats = [DatasetFormat.Parquet], AddEos = false }.Validate(), "AddEos");
        Refused(() => new DatasetOutputOptions { Mds = new MdsWriterOptions { Compression = "zstd" } }.Validate(), "Compression", "Formats 'jsonl.zst'");
        Refused(() => new DatasetOutputOptions { Formats = [DatasetFormat.Megatron], Mds = new MdsWriterOptions { SizeLimit = 4096 } }.Validate(), "SizeLimit");
        Refused(() => _ = new MdsWriterOptions { SizeLimit = 1023 }, "SizeLimit", "[1024, 2147483646]");
        Refused(() => _ = new MdsWriterOptions { SizeLimit = int.MaxValue }, "SizeLimit");
        Refused(() => _ = new MdsWriterOptions { Compression = "zstd:23" }, "Compression");
        Refused(() => _ = new MdsWriterOptions { Compression = "br" }, "Compression");
        Refused(() => _ = new MdsWriterOptions { Hashes = ["md5x"] }, "Hashes");
    }

    [Fact]
    public void Pack_mix_and_inspect_options_are_checked()
    {
        new PackOptions().Validate();
        new PackOptions { PackLength = 2, MinLength = 1 }.Validate();
        new PackOptions { PackLength = int.MaxValue, MinLength = int.MaxValue }.Validate();
        Refused(() => new PackOptions { PackLength = 1 }.Validate(), "PackLength");
        Refused(() => new PackOptions { PackLength = 10, MinLength = 11 }.Validate(), "MinLength", "[1, 10]");
        Refused(() => new PackOptions { MinLength = 0 }.Validate(), "MinLength");

        new MixOptions().Validate();
        new MixOptions { NumSamples = 1 }.Validate();
        Refused(() => new MixOptions { NumSamples = 0 }.Validate(), "NumSamples");

        new InspectOptions().Validate();
        new InspectOptions { Sample = 0, MaxChars = 0, MaxItems = 0 }.Validate();
        Refused(() => new InspectOptions { Sample = -1 }.Validate(), "Sample");
        Refused(() => new InspectOptions { MaxChars = -1 }.Validate(), "MaxChars");
        Refused(() => new InspectOptions { MaxItems = -1 }.Validate(), "MaxItems");

        string dir = Path.Combine(TempDir.Create(), "packed");
        Assert.Throws<OptionValidationException>(() => SequencePacker.Pack(["missing"], dir, new PackOptions { PackLength = 0 }));
        Assert.Throws<OptionValidationException>(() => DatasetMixer.Mix([new MixInput("missing", 1)], dir, new MixOptions { NumSamples = -1 }));
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Rank_assignments_are_checked()
    {
        new RankAssignment(0, 1).Validate();
        new RankAssignment(4, 5).Validate();
        Refused(() => new RankAssignment(5, 5).Validate(), "Rank", "[0, 4]");
        Refused(() => new RankAssignment(-1, 5).Validate(), "Rank");
        Refused(() => new RankAssignment(0, 0).Validate(), "WorldSize");
        Refused(() => RankAssignment.Resolve(1, 1, _ => null), "Rank");
    }
}
