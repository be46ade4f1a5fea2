using System.CommandLine;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Pipeline;
using NExtLong.Retrieval;
using NExtLong.Synthesis;

namespace NExtLong.Cli;

/// <summary>The `nextlong` command line: parsing and progress only; the stages live in the library.</summary>
public static class NExtLongCommand
{
    internal static readonly Option<string[]> Input = new("--input", "-i")
    {
        Description = "Corpus files, folders or globs: PATH, PATH@WEIGHT or NAME=PATH@WEIGHT (JSONL, .jsonl.gz, .jsonl.zst, Parquet). Repeat for several sources.",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };
    internal static readonly Option<string?> TextField = new("--text-field") { Description = "Field holding the document text (default: text)." };
    internal static readonly Option<string?> IdField = new("--id-field") { Description = "Field holding the document id (default: id; file:line when absent)." };
    private static readonly Option<string> OnBad = new("--on-bad-record") { Description = "fail: stop at the first bad record; skip: count it and go on.", DefaultValueFactory = _ => "fail" };
    internal static readonly Option<int> Threads = new("--threads") { Description = $"Worker threads, 1 to {NExtLong.Synthesis.SynthesisOptions.MaxThreads} (output does not depend on it).", DefaultValueFactory = _ => Math.Min(Environment.ProcessorCount, NExtLong.Synthesis.SynthesisOptions.MaxThreads) };
    private static readonly Option<bool> Overwrite = new("--overwrite") { Description = "Replace an existing index or dataset made differently." };

    internal static readonly Option<int?> Rank = new("--rank") { Description = "Distributed run: this process's rank r in [0, W), with --world-size (default: from a Slurm job array's SLURM_ARRAY_TASK_ID). It does its share of the work into OUT.work; --merge then writes OUT." };
    internal static readonly Option<int?> WorldSize = new("--world-size") { Description = "Distributed run: the number of ranks W, at least 1, with --rank (default: SLURM_ARRAY_TASK_COUNT). The result does not depend on it." };
    internal static readonly Option<bool> Merge = new("--merge") { Description = "Merge the work of all ranks (run once, after them, with the same options, without --rank) into OUT." };

    private static readonly Option<int> ChunkChars = new("--chunk-chars") { Description = $"Chunking granularity s in characters, {ParagraphChunker.MinChunkChars} to {ParagraphChunker.MaxChunkChars}.", DefaultValueFactory = _ => ParagraphChunker.DefaultMaxChars };
    private static readonly Option<string> Chunking = new("--chunking") { Description = "clean (default) or python-compat (the authors' chunking.py, quirks included).", DefaultValueFactory = _ => "clean" };
    private static readonly Option<string> Embedder = new("--embedder") { Description = "Chunk embedder.", DefaultValueFactory = _ => "glove" };
    private static readonly Option<string?> Retriever = new("--retriever") { Description = $"How hard negatives are retrieved: dense (embeddings), bm25 (words; no embedder) or hybrid (BM25 and dense fused by reciprocal rank). index: what to build (default {IndexStage.DefaultRetriever.Name()}; hybrid builds both); synthesize: what to use (default: what the index was built for)." };
    private static readonly Option<string> IndexSpec = new("--index-spec") { Description = "Vector index: Flat (exact) or IVF[nlist],Flat|FP16|SQ8[,RFlat][,nprobe=N] (approximate, for large corpora; nlist from the chunk count when omitted).", DefaultValueFactory = _ => "Flat" };

    private static readonly Option<int> TargetTokens = new("--target-tokens") { Description = $"T: tokens per synthesized document, 1 to {NExtLong.Synthesis.SynthesisOptions.MaxTargetTokens} (16M: a document is one string of about 6·T characters).", DefaultValueFactory = _ => 131_072 };
    private static readonly Option<int> NumSamples = new("--num-samples", "-n") { Description = "Documents to synthesize, at least 1.", DefaultValueFactory = _ => 64 };
    private static readonly Option<string> Tokenizer = new("--tokenizer") { Description = "cl100k_base, o200k_base, llama3, tiktoken:PATH or sentencepiece:PATH.", DefaultValueFactory = _ => "cl100k_base" };
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Seed for choosing meta-documents (any whole number in [0, 2^64)).", DefaultValueFactory = _ => 42UL };
    private static readonly Option<float> NearDuplicate = new("--near-duplicate-threshold") { Description = $"Similarity above which a retrieved chunk counts as a copy (false negative) and is skipped; in (0, {NExtLong.Synthesis.SynthesisOptions.MaxNearDuplicateThreshold}]: cosines are at most 1, so above 1 nothing is skipped, and at or below 0 every hard negative would be. NExtLong only, not with --negatives selfrepeat.", DefaultValueFactory = _ => new SynthesisOptions().NearDuplicateThreshold };
    private static readonly Option<double> Oversampling = new("--oversampling") { Description = $"w of Appendix C.1, in (0, {NExtLong.Synthesis.SynthesisOptions.MaxOversampling}]. NExtLong only.", DefaultValueFactory = _ => HardNegativeCount.DefaultOversampling };
    private static readonly Option<int> DocumentsPerPart = new("--documents-per-part") { Description = "Documents per output part, at least 1; also how often a run checkpoints (a rerun resumes from the last checkpoint).", DefaultValueFactory = _ => new SynthesisOptions().DocumentsPerPart };
    private static readonly Option<string> Method = new("--method") { Description = "nextlong (default), or a baseline of the paper's Table 1: standard, knn, iclm, quest.", DefaultValueFactory = _ => "nextlong" };
    private static readonly Option<string> Placement = new("--placement") { Description = "Meta-chunk placement among its negatives: head (the paper's), tail or random (Table 5 ablation). NExtLong only.", DefaultValueFactory = _ => "head" };
    private static readonly Option<string> Negatives = new("--negatives") { Description = "Negative selection: topk (the paper's), tailk, randomr, randomd or selfrepeat (section 5.3 ablation). NExtLong only.", DefaultValueFactory = _ => "topk" };
    private static readonly Option<int> CandidatePool = new("--candidate-pool") { Description = $"Candidates retrieved per meta-chunk for tailk and randomr (only they use it), 1 to {NExtLong.Synthesis.SynthesisOptions.MaxCandidatePool}; fewer than k are topped up to k.", DefaultValueFactory = _ => 512 };
    private static readonly Option<string> Separator = new("--separator") { Description = "Text between chunks, any (empty too; escapes \\n and \\t allowed).", DefaultValueFactory = _ => "\\n\\n" };

    public static Command Build()
    {
        // A plain command named "nextlong" rather than RootCommand, whose name would be the assembly's.
        var root = new Command("nextlong", "Long-context training data from short documents by Negative Document Extension (NExtLong, Gao et al., ICML 2025).")
        {
            new System.CommandLine.Help.HelpOption(),
            new VersionOption(),
        };

        var index = new Command("index", "Chunk every document, embed every chunk, build and save the index.");
        var indexOut = new Option<string>("--out", "-o") { Description = "Index folder to create.", Required = true };
        foreach (var o in IndexOptions(indexOut).Concat([Rank, WorldSize, Merge])) index.Add(o);
        index.SetAction((r, ct) => Task.FromResult(Guarded(() => RunIndex(IndexStageOptions(r, r.GetValue(indexOut)!), ct))));

        var synth = new Command("synthesize", "Pick meta-documents, mine hard negatives, assemble, tokenize and write the dataset.");
        var synthIndex = new Option<string>("--index") { Description = "Index folder made by `nextlong index`.", Required = true };
        var synthOut = new Option<string>("--out", "-o") { Description = "Dataset folder to create.", Required = true };
        foreach (var o in SynthesisOptions(synthIndex, synthOut).Concat([Rank, WorldSize, Merge])) synth.Add(o);
        synth.SetAction((r, ct) => Task.FromResult(Guarded(() => RunSynthesize(SynthesisStageOptions(r, r.GetValue(synthIndex)!, r.GetValue(synthOut)!), ct))));

        var run = new Command("run", "index + synthesize in one go; the index goes to OUT/index unless --index says otherwise.");
        var runOut = new Option<string>("--out", "-o") { Description = "Output folder.", Required = true };
        var runIndex = new Option<string?>("--index") { Description = "Index folder (default OUT/index)." };
        foreach (var o in RunOptions(runIndex, runOut)) run.Add(o);
        run.SetAction((r, ct) => Task.FromResult(Guarded(() =>
        {
            string outDir = r.GetValue(runOut)!;
            string indexDir = r.GetValue(runIndex) ?? Path.Combine(outDir, "index");
            // Both stages' options are checked before the index is built, so a bad synthesis option costs nothing; the
            // dataset folder is claimed before the index is built (inside it by default), so a folder that is not
            // nextlong's is refused before any work, not after.
            var indexOptions = IndexStageOptions(r, indexDir);
            var synthesisOptions = SynthesisStageOptions(r, indexDir, outDir);
            int code;
            using (OutputFolder.Claim(outDir, OutputKind.Dataset, r.GetValue(Overwrite)))
                code = RunIndex(indexOptions, ct);
            return code != 0 ? code : RunSynthesize(synthesisOptions, ct);
        })));

        root.Add(index);
        root.Add(synth);
        root.Add(run);
        root.Add(SlurmCommand.Build());
        root.Add(StatsCommand.Build(Input, TextField, IdField, OnBad, Threads, Guarded, ParseOnBad));
        root.Add(ReportCommand.Build(Guarded));
        root.Add(EmbedCommand.Create());
        root.Add(PackCommand.Build());
        root.Add(MixCommand.Build());
        root.Add(InspectCommand.Build());
        root.Add(VerifyCommand.Build());
        return root;
    }

    /// <summary>The options of `index`; `slurm` forwards those of them the user gave.</summary>
    internal static IEnumerable<Option> IndexOptions(Option outOption)
        => [Input, outOption, ChunkChars, Chunking, Retriever, Embedder, IndexSpec, TextField, IdField, OnBad, Threads, Overwrite];

    /// <summary>The options of `run` (and of `slurm`, which runs the same pipeline on a cluster).</summary>
    internal static IEnumerable<Option> RunOptions(Option indexOption, Option outOption)
        => SynthesisOptions(indexOption, outOption).Concat([ChunkChars, Chunking, Embedder, IndexSpec]);

    /// <summary>The options of `synthesize`; `slurm` forwards those of them the user gave.</summary>
    internal static IEnumerable<Option> SynthesisOptions(Option indexOption, Option outOption)
        => [Input, indexOption, outOption, TargetTokens, NumSamples, Tokenizer, Seed, NearDuplicate, Oversampling, Separator, Method, Placement, Negatives, CandidatePool, Retriever, DocumentsPerPart, TextField, IdField, OnBad, Threads, Overwrite, .. OutputOptions.All];

    public static int Run(string[] args)
    {
        var root = Build();
        var parsed = root.Parse(args);
        // A parse error is one line, like every other error: no usage text (--help shows it).
        if (parsed.Errors.Count > 0 && parsed.Action is System.CommandLine.Invocation.ParseErrorAction)
        {
            Console.Error.WriteLine($"nextlong: error: {CliErrors.ParseErrors(parsed.Errors)}");
            return 1;
        }
        // Our own SIGINT/SIGTERM handling (ShutdownSignals) instead of System.CommandLine's: one token for every
        // stage, the signal's own exit code, and no forced return while workers still run.
        using var signals = new ShutdownSignals();
        var outer = ShutdownSignals.Current;
        ShutdownSignals.Current = signals;
        try
        {
            return parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, signals.Token).GetAwaiter().GetResult();
        }
        finally
        {
            ShutdownSignals.Current = outer;
        }
    }

    /// <summary>Runs a command's body: errors become exit code 1 with one line, a cancellation (SIGINT/SIGTERM) 130/143.</summary>
    internal static int Guarded(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (IsCancellation(e))
        {
            Console.Error.WriteLine("nextlong: cancelled; unfinished files were left under temporary names only");
            return ShutdownSignals.Current is { ExitCode: > 0 and int code } ? code : ShutdownSignals.SigIntExitCode;
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"nextlong: error: {CliErrors.Message(e)}");
            return 1;
        }
    }

    internal static bool IsUserError(Exception e)
        => e is IOException or InvalidDataException or ArgumentException or InvalidOperationException or CorpusFormatException or FormatException
            or FileNotFoundException or UnauthorizedAccessException or NotSupportedException;

    // A cancelled stage throws OperationCanceledException, possibly wrapped by parallel loops or tasks; any other
    // failure it meets while stopping (an ONNX run told to terminate, a closed stream) is the cancellation too.
    private static bool IsCancellation(Exception e) => e switch
    {
        OperationCanceledException => true,
        AggregateException a => a.Flatten().InnerExceptions.All(IsCancellation) || ShutdownSignals.Current?.ExitCode > 0,
        _ => ShutdownSignals.Current?.ExitCode > 0,
    };

    private static CorpusBadRecordAction ParseOnBad(string value) => value switch
    {
        "fail" => CorpusBadRecordAction.Fail,
        "skip" => CorpusBadRecordAction.Skip,
        _ => throw OptionValidationException.OutOfRange("OnBadRecord", value, "fail or skip"),
    };

    private static T ParseEnum<T>(string value, string option) where T : struct, Enum
        => Enum.GetNames<T>().FirstOrDefault(n => n.Equals(value, StringComparison.OrdinalIgnoreCase)) is { } name
            ? Enum.Parse<T>(name)
            : throw OptionValidationException.OutOfRange(option, value, $"one of {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");

    private static RetrieverKind? ParseRetriever(System.CommandLine.ParseResult r) => r.GetValue(Retriever) is { } name
        ? name.Trim().ToLowerInvariant() switch
        {
            "dense" or "bm25" or "hybrid" => RetrieverKinds.Parse(name),
            _ => throw OptionValidationException.OutOfRange("Retriever", name, "dense, bm25 or hybrid"),
        }
        : null;

    private static ChunkingMode ParseChunking(string value) => value switch
    {
        "clean" => ChunkingMode.Clean,
        "python-compat" => ChunkingMode.PythonCompat,
        _ => throw OptionValidationException.OutOfRange("ChunkingMode", value, "clean or python-compat"),
    };

    /// <summary>The index stage's options from the command line, validated.</summary>
    internal static IndexStage.Options IndexStageOptions(System.CommandLine.ParseResult r, string outDir)
    {
        var options = new IndexStage.Options
        {
            Inputs = r.GetValue(Input)!,
            OutDir = outDir,
            ChunkChars = r.GetValue(ChunkChars),
            ChunkingMode = ParseChunking(r.GetValue(Chunking)!),
            Retriever = ParseRetriever(r) ?? IndexStage.DefaultRetriever,
            Embedder = r.GetValue(Embedder)!,
            IndexSpec = r.GetValue(IndexSpec)!,
            TextField = r.GetValue(TextField),
            IdField = r.GetValue(IdField),
            OnBadRecord = ParseOnBad(r.GetValue(OnBad)!),
            Threads = r.GetValue(Threads),
            Overwrite = r.GetValue(Overwrite),
            Rank = Distributed(r),
            Merge = r.GetValue(Merge),
        };
        options.Validate();
        return options;
    }

    private static int RunIndex(IndexStage.Options options, CancellationToken ct)
    {
        string outDir = options.OutDir;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = StageProgress.Run(make =>
        {
            var bar = make(options.Merge ? "index: chunks merged" : "index: chunks indexed", "chunks", null);
            var result = IndexStage.Run(options, (docs, chunks) => bar.Report(chunks, $"{docs:N0} documents"), ct);
            bar.Complete(result.Chunks, $"{result.Documents:N0} documents");
            return result;
        });
        if (outcome.Reused)
            Console.Error.WriteLine($"index: {outDir} is up to date ({outcome.Documents:N0} documents, {outcome.Chunks:N0} chunks); reused");
        else if (options.Rank is { } rank)
            Console.Error.WriteLine($"index: {rank}: built {outcome.UnitsDone} of its units ({outcome.Documents:N0} documents, {outcome.Chunks:N0} chunks) in {clock.Elapsed.TotalSeconds:F1} s; {outcome.UnitsTotal} units in all, the others were done or belong to other ranks{SkipNote(outcome.Report)}");
        else
            Console.Error.WriteLine($"index: {outcome.Documents:N0} documents, {outcome.Chunks:N0} chunks in {clock.Elapsed.TotalSeconds:F1} s → {outDir}{SkipNote(outcome.Report)}");
        if (outcome.DuplicateIds > 0)
            Console.Error.WriteLine($"index: warning: {outcome.DuplicateIds:N0} documents repeat an earlier document's id; all are kept, and every copy counts as the meta-document's own (never its negative)");
        return 0;
    }

    /// <summary>
    /// The synthesis stage's options from the command line, validated: ranges, and options given that mean nothing
    /// with the method, selection or formats chosen.
    /// </summary>
    internal static SynthesisStage.Options SynthesisStageOptions(System.CommandLine.ParseResult r, string indexDir, string outDir)
    {
        var options = new SynthesisStage.Options
        {
            IndexDir = indexDir,
            Inputs = r.GetValue(Input)!,
            OutDir = outDir,
            Tokenizer = r.GetValue(Tokenizer)!,
            TextField = r.GetValue(TextField),
            IdField = r.GetValue(IdField),
            OnBadRecord = ParseOnBad(r.GetValue(OnBad)!),
            Overwrite = r.GetValue(Overwrite),
            Rank = Distributed(r),
            Merge = r.GetValue(Merge),
            Synthesis = new SynthesisOptions
            {
                TargetTokens = r.GetValue(TargetTokens),
                NumSamples = r.GetValue(NumSamples),
                Seed = r.GetValue(Seed),
                NearDuplicateThreshold = r.GetValue(NearDuplicate),
                Oversampling = r.GetValue(Oversampling),
                Separator = r.GetValue(Separator)!.Replace("\\n", "\n").Replace("\\t", "\t"),
                Threads = r.GetValue(Threads),
                Method = ParseEnum<SynthesisMethod>(r.GetValue(Method)!, "--method"),
                DocumentsPerPart = r.GetValue(DocumentsPerPart),
                Placement = ParseEnum<MetaChunkPlacement>(r.GetValue(Placement)!, "--placement"),
                Selection = ParseEnum<NegativeSelection>(r.GetValue(Negatives)!, "--negatives"),
                CandidatePool = r.GetValue(CandidatePool),
                Retriever = ParseRetriever(r),
            },
        };
        options = options with { Output = OutputOptions.Parse(r) };
        options.Validate(CliErrors.Given(r));
        options = OutputOptions.ReserveSpecialTokens(r, options);
        options.Validate(CliErrors.Given(r));
        return options;
    }

    private static int RunSynthesize(SynthesisStage.Options options, CancellationToken ct)
    {
        string outDir = options.OutDir;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = StageProgress.Run(make =>
        {
            var select = make("synthesize: meta-documents read", "docs", null);
            var synth = options.Rank is null
                ? make("synthesize: documents written", "docs", options.Synthesis.NumSamples)
                : make("synthesize: candidate blocks done", "blocks", null);
            return SynthesisStage.Run(options, (phase, done, total) =>
            {
                if (phase == "select") select.Report(done);
                else synth.Report(done);
            }, ct);
        });
        if (outcome.Reused)
        {
            Console.Error.WriteLine($"synthesize: {outDir} is already complete with this configuration; nothing to do");
            return 0;
        }
        if (options.Rank is { } rank)
        {
            Console.Error.WriteLine($"synthesize: {rank}: {outcome.UnitsDone} candidate blocks done ({outcome.UnitsSkipped} of them not needed: the quotas were met before them) in {clock.Elapsed.TotalSeconds:F1} s; {outcome.UnitsTotal} blocks in all → {outDir}.work{SkipNote(outcome.Report)}");
            return 0;
        }
        var s = outcome.Stats!;
        Console.Error.WriteLine($"synthesize: {s.DocumentsWritten:N0} documents of {options.Synthesis.TargetTokens:N0} tokens in {clock.Elapsed.TotalSeconds:F1} s → {outDir}");
        Console.Error.WriteLine($"  E = {s.EncodingRateCharsPerToken:F3} chars/token, mean k = {(double)s.KSum / Math.Max(1, s.DocumentsWritten):F1}, meta share {(double)s.TokensMeta / Math.Max(1, s.TokensTotal):P1}, near-duplicates skipped {s.NearDuplicatesSkipped:N0}, dropped {s.Dropped.Values.Sum():N0}{SkipNote(outcome.Report)}");
        if (s.DocumentsWritten < options.Synthesis.NumSamples)
        {
            Console.Error.WriteLine($"nextlong: error: only {s.DocumentsWritten} of {options.Synthesis.NumSamples} documents could be made; the dataset is not complete (see {Path.Combine(outDir, SynthesisStage.FailedFile)}, 'dropped')");
            return 2;
        }
        return 0;
    }

    // --merge is one process after the ranks; anything else may be a rank, by option or by Slurm array variables.
    internal static RankAssignment? Distributed(System.CommandLine.ParseResult r)
        => r.GetValue(Merge) && r.GetValue(Rank) is null && r.GetValue(WorldSize) is null ? null : RankAssignment.Resolve(r.GetValue(Rank), r.GetValue(WorldSize));

    private static string SkipNote(CorpusReadReport report) => report.SkippedTotal == 0 ? "" : $"; {report.Summary()}";
}
