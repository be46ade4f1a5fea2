using System.CommandLine;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Dedup;
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
    internal static readonly Option<string> OnBad = new("--on-bad-record") { Description = "fail: stop at the first bad record; skip: count it and go on.", DefaultValueFactory = _ => CliName(new CorpusReadOptions().OnBadRecord) };
    internal static readonly Option<int> Threads = new("--threads") { Description = $"Worker threads, 1 to {ExecutionOptions.MaxThreads} (output does not depend on it).", DefaultValueFactory = _ => ExecutionOptions.DefaultThreads };
    internal static readonly Option<bool> Overwrite = new("--overwrite") { Description = "Replace an existing index or dataset made differently." };

    internal static readonly Option<int?> Rank = new("--rank") { Description = "Distributed run: this process's rank r in [0, W), with --world-size (default: from a Slurm job array's SLURM_ARRAY_TASK_ID). It does its share of the work into OUT.work; --merge then writes OUT." };
    internal static readonly Option<int?> WorldSize = new("--world-size") { Description = "Distributed run: the number of ranks W, at least 1, with --rank (default: SLURM_ARRAY_TASK_COUNT). The result does not depend on it." };
    internal static readonly Option<bool> Merge = new("--merge") { Description = "Merge the work of all ranks (run once, after them, with the same options, without --rank) into OUT." };

    /// <summary>What <see cref="CorpusInput"/> binds besides --input (which every command lists first).</summary>
    internal static readonly Option[] CorpusFlags = [TextField, IdField, OnBad];
    /// <summary>What <see cref="Execution"/> binds besides --threads and --overwrite: a distributed run's share, or its merge.</summary>
    internal static readonly Option[] DistributionFlags = [Rank, WorldSize, Merge];

    /// <summary>synthesize only: what `slurm` passes so a cluster run records its dedup as `run` does.</summary>
    internal static readonly Option<string?> DedupOutput = new("--dedup-output") { Description = "The complete `nextlong dedup` folder that --input's files came from (`slurm` passes it): its method, counts and original inputs are recorded in config.json and stats.json as `run --dedup` records them." };

    internal static readonly Option<int> ChunkChars = new("--chunk-chars") { Description = $"Chunking granularity s in characters, {ParagraphChunker.MinChunkChars} to {ParagraphChunker.MaxChunkChars}.", DefaultValueFactory = _ => ParagraphChunker.DefaultMaxChars };
    internal static readonly Option<string> Chunking = new("--chunking") { Description = "clean (default) or python-compat (the authors' chunking.py, quirks included).", DefaultValueFactory = _ => ChunkingName(ChunkingOptions.DefaultMode) };
    internal static readonly Option<string> Embedder = new("--embedder") { Description = "Chunk embedder: glove, use-lite or onnx:MODEL_DIR, with ,KEY=VALUE options (docs/EMBEDDERS.md); cache=DIR shares a vector cache between runs.", DefaultValueFactory = _ => IndexStage.Options.DefaultEmbedder };
    /// <summary>`run`'s and `slurm`'s dedup step: one option, one default.</summary>
    internal static readonly Option<string> Dedup = new("--dedup") { Description = "Deduplicate the corpus first, into OUT/dedup, and index and synthesize from that: none, exact, or minhash (default: exact and near copies).", DefaultValueFactory = _ => CliName(DedupMethod.MinHash) };
    private static readonly Option<string?> Retriever = new("--retriever") { Description = $"How hard negatives are retrieved: dense (embeddings), bm25 (words; no embedder) or hybrid (BM25 and dense fused: --hybrid). index: what to build (default {IndexStage.DefaultRetriever.Name()}; hybrid builds both); synthesize: what to use (default: what the index was built for)." };
    private static readonly Option<bool> Bm25StopWords = new("--bm25-stop-words") { Description = "BM25 analyzer (bm25 and hybrid indexes): drop Lucene's 33 English stop words; --bm25-stop-words false keeps them. Recorded in the index manifest; changing it needs --overwrite.", DefaultValueFactory = _ => new Bm25Settings().StopWords };
    private static readonly Option<bool> Bm25Stemming = new("--bm25-stemming") { Description = "BM25 analyzer (bm25 and hybrid indexes): fold English plurals (Lucene's EnglishMinimalStemmer). Recorded in the index manifest; changing it needs --overwrite.", DefaultValueFactory = _ => new Bm25Settings().Stemming };
    private static readonly Option<float?> Bm25K1 = new("--bm25-k1") { Description = $"BM25's k1 for this synthesis (bm25 and hybrid), in (0, 100]; applied at search time, so no rebuild (default: the index's, {new Bm25Settings().K1})." };
    private static readonly Option<float?> Bm25B = new("--bm25-b") { Description = $"BM25's b for this synthesis (bm25 and hybrid), in [0, 1] (default: the index's, {new Bm25Settings().B})." };
    private static readonly Option<int?> Bm25QueryTerms = new("--bm25-query-terms") { Description = $"Terms of a meta-chunk kept as its BM25 query, the most informative by tf·idf as Lucene's MoreLikeThis chooses them (bm25 and hybrid), 1 to {Bm25Settings.MaxQueryTerms} (default: the index's, {new Bm25Settings().QueryTerms})." };
    private static readonly Option<int?> Bm25MinDocFreq = new("--bm25-min-doc-freq") { Description = $"Query terms found in fewer chunks are left out (bm25 and hybrid), at least 1 (default: the index's, {new Bm25Settings().MinDocFreq})." };
    private static readonly Option<string> Hybrid = new("--hybrid") { Description = "How --retriever hybrid combines BM25 and dense: rrf (reciprocal rank fusion of both top lists; default, measured better) or rerank (BM25's top candidates ordered by cosine; faster). docs/RETRIEVAL.md.", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.Hybrid.Name() };
    private static readonly Option<string> IndexSpec = new("--index-spec") { Description = "Vector index: Flat (exact) or IVF[nlist],Flat|FP16|SQ8|PQm|PQmx4fs[r][,RFlat][,nprobe=N] (approximate, for large corpora; nlist from the chunk count when omitted; PQm: m-byte product codes, m dividing the dimension; PQmx4fs: m 4-bit codes, m/2 bytes, scanned in registers as FAISS's fast scan, of the vectors, or with r of their residuals).", DefaultValueFactory = _ => IndexStage.Options.DefaultIndexSpec };

    private static readonly Option<string[]?> Vectors = new("--vectors")
    {
        Description = "Build the index from vectors computed elsewhere for the chunks of `nextlong chunks` (files, folders or globs of .npy, .parquet or .safetensors, one per chunk shard, in shard order) instead of embedding; --input as for the chunks.",
        AllowMultipleArgumentsPerToken = true,
    };
    private static readonly Option<string?> VectorsModel = new("--vectors-model") { Description = $"The model that made --vectors, recorded as the index's embedder vectors:NAME (default {IndexStage.UnnamedVectorsModel})." };
    private static readonly Option<string?> ChunksDir = new("--chunks") { Description = "The `nextlong chunks` folder the vectors were made for (default: found beside the vector files or in their parent folder)." };
    private static readonly Option<bool> Normalize = new("--normalize") { Description = "L2-normalise imported vectors (default: refuse any whose norm is not 1 within 1e-3)." };
    private static readonly Option<bool> RequireNormalized = new("--require-normalized") { Description = "Refuse imported vectors whose norm is not 1 within 1e-3 (the default)." };

    private static readonly Option<int> TargetTokens = new("--target-tokens") { Description = $"T: tokens per synthesized document, 1 to {NExtLong.Synthesis.SynthesisOptions.MaxTargetTokens} (16M: a document is one string of about 6·T characters).", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.TargetTokens };
    private static readonly Option<int> NumSamples = new("--num-samples", "-n") { Description = "Documents to synthesize, at least 1.", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.NumSamples };
    private static readonly Option<string> Tokenizer = new("--tokenizer") { Description = "cl100k_base, o200k_base, llama3, tiktoken:PATH or sentencepiece:PATH.", DefaultValueFactory = _ => SynthesisStage.Options.DefaultTokenizer };
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Seed for choosing meta-documents (any whole number in [0, 2^64)).", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.Seed };
    private static readonly Option<double> FalseNegative = new("--false-negative-threshold") { Description = "Share of a retrieved chunk's word 5-grams found in the meta-document (or its Jaccard with the meta-chunk) at or above which it is the meta-document's own text (a false negative) and is skipped; in (0, 1]. NExtLong only, not with --negatives selfrepeat.", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.FalseNegativeThreshold };
    private static readonly Option<float> NearDuplicate = new("--near-duplicate-threshold") { Description = $"Similarity above which a retrieved chunk counts as a copy (false negative) and is skipped; in (0, {NExtLong.Synthesis.SynthesisOptions.MaxNearDuplicateThreshold}]: cosines are at most 1, so above 1 nothing is skipped, and at or below 0 every hard negative would be. NExtLong only, not with --negatives selfrepeat.", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.NearDuplicateThreshold };
    private static readonly Option<double> Oversampling = new("--oversampling") { Description = $"w of Appendix C.1, in (0, {NExtLong.Synthesis.SynthesisOptions.MaxOversampling}]. NExtLong only.", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.Oversampling };
    private static readonly Option<int> DocumentsPerPart = new("--documents-per-part") { Description = "Documents per output part, at least 1; also how often a run checkpoints (a rerun resumes from the last checkpoint).", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.DocumentsPerPart };
    private static readonly Option<string> Method = new("--method") { Description = "nextlong (default), or a baseline of the paper's Table 1: standard, knn, iclm, quest.", DefaultValueFactory = _ => CliName(NExtLong.Synthesis.SynthesisOptions.Defaults.Method) };
    private static readonly Option<string> Placement = new("--placement") { Description = "Meta-chunk placement among its negatives: head (the paper's), tail or random (Table 5 ablation). NExtLong only.", DefaultValueFactory = _ => CliName(NExtLong.Synthesis.SynthesisOptions.Defaults.Placement) };
    private static readonly Option<string> Negatives = new("--negatives") { Description = "Negative selection: topk (the paper's), tailk, randomr, randomd or selfrepeat (section 5.3 ablation). NExtLong only.", DefaultValueFactory = _ => CliName(NExtLong.Synthesis.SynthesisOptions.Defaults.Selection) };
    private static readonly Option<int> CandidatePool = new("--candidate-pool") { Description = $"Candidates retrieved per meta-chunk for tailk and randomr (only they use it), 1 to {NExtLong.Synthesis.SynthesisOptions.MaxCandidatePool}; fewer than k are topped up to k.", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.CandidatePool };
    private static readonly Option<string> TokenCache = new("--token-cache") { Description = "Index chunks' token ids cached beside the index, so the exact cut encodes only the piece holding it (nextlong method; same output): auto (build it when the run cuts more tokens, -n × T, than the index holds; else use), use (when made), build (make it first if missing or stale: one encoding of every chunk) or off.", DefaultValueFactory = _ => CliName(SynthesisStage.Options.DefaultTokenCache) };
    private static readonly Option<string> Separator = new("--separator") { Description = "Text between chunks, any (empty too; escapes \\n and \\t allowed).", DefaultValueFactory = _ => NExtLong.Synthesis.SynthesisOptions.Defaults.Separator.Replace("\n", "\\n").Replace("\t", "\\t") };

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
        foreach (var o in IndexOptions(indexOut).Concat([.. DistributionFlags, Vectors, VectorsModel, ChunksDir, Normalize, RequireNormalized])) index.Add(o);
        index.SetAction((r, ct) => Task.FromResult(Guarded(() => RunIndex(WithVectors(r, IndexStageOptions(r, r.GetValue(indexOut)!)), ct))));

        var synth = new Command("synthesize", "Pick meta-documents, mine hard negatives, assemble, tokenize and write the dataset.");
        var synthIndex = new Option<string>("--index") { Description = "Index folder made by `nextlong index`.", Required = true };
        var synthOut = new Option<string>("--out", "-o") { Description = "Dataset folder to create.", Required = true };
        var synthEmbedder = new Option<string?>("--embedder")
        {
            Description = "Only for an index of vectors computed elsewhere (index --vectors): the model that made them (an embedder spec), to embed meta-documents the index does not hold; without it those are refused.",
        };
        foreach (var o in SynthesisOptions(synthIndex, synthOut).Concat([.. DistributionFlags, synthEmbedder, DedupOutput])) synth.Add(o);
        synth.SetAction((r, ct) => Task.FromResult(Guarded(() => RunSynthesize(
            SynthesisStageOptions(r, r.GetValue(synthIndex)!, r.GetValue(synthOut)!) with
            {
                Embedder = r.GetValue(synthEmbedder),
                Dedup = r.GetValue(DedupOutput) is { } dedup ? DedupStage.ReadSummary(dedup) : null,
            }, ct))));

        var run = new Command("run", "dedup + index + synthesize in one go: the deduplicated corpus goes to OUT/dedup, the index to OUT/index unless --index says otherwise.");
        var runOut = new Option<string>("--out", "-o") { Description = "Output folder.", Required = true };
        var runIndex = new Option<string?>("--index") { Description = "Index folder (default OUT/index)." };
        var runDedup = Dedup;
        foreach (var o in RunOptions(runIndex, runOut).Append(runDedup)) run.Add(o);
        run.SetAction((r, ct) => Task.FromResult(Guarded(() =>
        {
            string outDir = r.GetValue(runOut)!;
            string indexDir = r.GetValue(runIndex) ?? Path.Combine(outDir, "index");
            // Every stage's options are checked before any work, so a bad synthesis option costs nothing; the
            // dataset folder is claimed before the index is built (inside it by default), so a folder that is not
            // nextlong's is refused before any work, not after.
            var method = ParseEnum<DedupMethod>(r.GetValue(runDedup)!, "--dedup");
            var dedupOptions = method == DedupMethod.None ? null : DedupCommand.Options(r, Path.Combine(outDir, "dedup"), method);
            var indexOptions = IndexStageOptions(r, indexDir);
            var synthesisOptions = SynthesisStageOptions(r, indexDir, outDir);
            // The index reads the deduplicated copy, yet its folder must not lie among the user's inputs either.
            foreach (string dir in new[] { outDir, indexDir }) synthesisOptions.Corpus.RequireApartFrom(dir);
            int code;
            bool overwrite = indexOptions.Execution.Overwrite;
            using (OutputFolder.Claim(outDir, OutputKind.Dataset, overwrite))
            {
                if (dedupOptions is not null)
                {
                    // An index folder that is not nextlong's is refused before the dedup works, not after.
                    using (OutputFolder.Claim(indexDir, OutputKind.Index, overwrite)) { }
                    // The index and the meta-documents both come from the kept records, source by source.
                    var summary = DedupCommand.Run(dedupOptions, ct).Summary;
                    var corpus = dedupOptions.Corpus with { Inputs = DedupStage.ShardInputs(dedupOptions.Corpus, dedupOptions.OutDir) };
                    indexOptions = indexOptions with { Corpus = corpus };
                    synthesisOptions = synthesisOptions with { Corpus = corpus, Dedup = summary };
                }
                code = RunIndex(indexOptions, ct);
            }
            return code != 0 ? code : RunSynthesize(synthesisOptions, ct);
        })));

        root.Add(index);
        root.Add(synth);
        root.Add(run);
        root.Add(DedupCommand.Build());
        root.Add(SlurmCommand.Build());
        root.Add(StatsCommand.Build());
        root.Add(ReportCommand.Build(Guarded));
        root.Add(EmbedCommand.Create());
        root.Add(ChunksCommand.Build());
        root.Add(PackCommand.Build());
        root.Add(MixCommand.Build());
        root.Add(InspectCommand.Build());
        root.Add(VerifyCommand.Build());
        return root;
    }

    /// <summary>The options of `index`; `slurm` forwards those of them the user gave.</summary>
    internal static IEnumerable<Option> IndexOptions(Option outOption)
        => [Input, outOption, ChunkChars, Chunking, Retriever, Bm25StopWords, Bm25Stemming, Embedder, IndexSpec, .. CorpusFlags, Threads, Overwrite];

    /// <summary>The options of `run` (and of `slurm`, which runs the same pipeline on a cluster).</summary>
    internal static IEnumerable<Option> RunOptions(Option indexOption, Option outOption)
        => SynthesisOptions(indexOption, outOption).Concat([ChunkChars, Chunking, Bm25StopWords, Bm25Stemming, Embedder, IndexSpec]);

    /// <summary>The options of `synthesize`; `slurm` forwards those of them the user gave.</summary>
    internal static IEnumerable<Option> SynthesisOptions(Option indexOption, Option outOption)
        => [Input, indexOption, outOption, TargetTokens, NumSamples, Tokenizer, Seed, NearDuplicate, FalseNegative, Oversampling, Separator, Method, Placement, Negatives, CandidatePool, Retriever, Hybrid, Bm25K1, Bm25B, Bm25QueryTerms, Bm25MinDocFreq, TokenCache, DocumentsPerPart, .. CorpusFlags, Threads, Overwrite, .. OutputOptions.All];

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

    internal static T ParseEnum<T>(string value, string option) where T : struct, Enum
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

    /// <summary>An enum value as the command line spells it (the lower-case name).</summary>
    internal static string CliName<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    internal static string ChunkingName(ChunkingMode mode) => mode == ChunkingMode.PythonCompat ? "python-compat" : "clean";

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
            Corpus = BindCorpus(r),
            OutDir = outDir,
            Chunking = BindChunking(r),
            Retriever = ParseRetriever(r) ?? IndexStage.DefaultRetriever,
            Lexical = new Bm25Settings { StopWords = r.GetValue(Bm25StopWords), Stemming = r.GetValue(Bm25Stemming) },
            Embedder = r.GetValue(Embedder)!,
            IndexSpec = r.GetValue(IndexSpec)!,
            Execution = BindExecution(r),
        };
        options.Validate(CliErrors.Given(r));
        return options;
    }

    /// <summary>`index`'s own options for vectors computed elsewhere, validated with the rest.</summary>
    private static IndexStage.Options WithVectors(System.CommandLine.ParseResult r, IndexStage.Options options)
    {
        options = options with
        {
            Vectors = r.GetValue(Vectors) is { Length: > 0 } vectors ? vectors : null,
            VectorsModel = r.GetValue(VectorsModel),
            ChunksDir = r.GetValue(ChunksDir),
            Normalize = r.GetValue(Normalize),
            RequireNormalized = r.GetValue(RequireNormalized),
        };
        options.Validate(CliErrors.Given(r));
        return options;
    }

    private static int RunIndex(IndexStage.Options options, CancellationToken ct)
    {
        string outDir = options.OutDir;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = StageProgress.Run(make =>
        {
            var bar = make(options.Execution.Merge ? "index: chunks merged" : options.Vectors is not null ? "index: chunks with imported vectors" : "index: chunks indexed", "chunks", null);
            var result = IndexStage.Run(options, (docs, chunks) => bar.Report(chunks, $"{docs:N0} documents"), ct);
            // A reused index indexed nothing: only the "up to date; reused" line below says what happened.
            if (result.Reused) bar.Discard();
            else bar.Complete(result.Chunks, $"{result.Documents:N0} documents");
            return result;
        });
        if (outcome.Reused)
            Console.Error.WriteLine($"index: {outDir} is up to date ({outcome.Documents:N0} documents, {outcome.Chunks:N0} chunks); reused");
        else if (options.Execution.Rank is { } rank)
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
            Corpus = BindCorpus(r),
            OutDir = outDir,
            Tokenizer = r.GetValue(Tokenizer)!,
            TokenCache = ParseEnum<NExtLong.Index.TokenCacheMode>(r.GetValue(TokenCache)!, "--token-cache"),
            Execution = BindExecution(r),
            Synthesis = new SynthesisOptions
            {
                TargetTokens = r.GetValue(TargetTokens),
                NumSamples = r.GetValue(NumSamples),
                Seed = r.GetValue(Seed),
                NearDuplicateThreshold = r.GetValue(NearDuplicate),
                FalseNegativeThreshold = r.GetValue(FalseNegative),
                Oversampling = r.GetValue(Oversampling),
                Separator = r.GetValue(Separator)!.Replace("\\n", "\n").Replace("\\t", "\t"),
                Method = ParseEnum<SynthesisMethod>(r.GetValue(Method)!, "--method"),
                DocumentsPerPart = r.GetValue(DocumentsPerPart),
                Placement = ParseEnum<MetaChunkPlacement>(r.GetValue(Placement)!, "--placement"),
                Selection = ParseEnum<NegativeSelection>(r.GetValue(Negatives)!, "--negatives"),
                CandidatePool = r.GetValue(CandidatePool),
                Retriever = ParseRetriever(r),
                Hybrid = HybridFusions.Parse(r.GetValue(Hybrid)!),
                Bm25 = new Bm25Scoring { K1 = r.GetValue(Bm25K1), B = r.GetValue(Bm25B), QueryTerms = r.GetValue(Bm25QueryTerms), MinDocFreq = r.GetValue(Bm25MinDocFreq) },
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
            var synth = options.Execution.Rank is null
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
        if (options.Execution.Rank is { } rank)
        {
            Console.Error.WriteLine($"synthesize: {rank}: {outcome.UnitsDone} candidate blocks done ({outcome.UnitsSkipped} of them not needed: the quotas were met before them) in {clock.Elapsed.TotalSeconds:F1} s; {outcome.UnitsTotal} blocks in all → {outDir}.work{SkipNote(outcome.Report)}");
            return 0;
        }
        var s = outcome.Stats!;
        Console.Error.WriteLine($"synthesize: {s.DocumentsWritten:N0} documents of {options.Synthesis.TargetTokens:N0} tokens in {clock.Elapsed.TotalSeconds:F1} s → {outDir}");
        Console.Error.WriteLine($"  E = {s.EncodingRateCharsPerToken:F3} chars/token, mean k = {(double)s.KSum / Math.Max(1, s.DocumentsWritten):F1}, meta share {(double)s.TokensMeta / Math.Max(1, s.TokensTotal):P1}, near-duplicates skipped {s.NearDuplicatesSkipped:N0}, false negatives skipped {string.Join(", ", s.FalseNegativesSkipped.Select(x => $"{x.Key} {x.Value:N0}"))}, dropped {s.Dropped.Values.Sum():N0}{SkipNote(outcome.Report)}");
        if (outcome.SourcesFromIndex > 0)
            Console.Error.WriteLine($"  meta-documents chosen and read from the index for {outcome.SourcesFromIndex} of {options.Corpus.Inputs.Count} sources (built from the same files; only their checksums were read)");
        if (s.DocumentsWritten < options.Synthesis.NumSamples)
        {
            Console.Error.WriteLine($"nextlong: error: only {s.DocumentsWritten} of {options.Synthesis.NumSamples} documents could be made; the dataset is not complete (see {Path.Combine(outDir, SynthesisStage.FailedFile)}, 'dropped')");
            return 2;
        }
        return 0;
    }

    /// <summary>How a stage cuts documents into chunks, from --chunk-chars and --chunking.</summary>
    internal static ChunkingOptions BindChunking(System.CommandLine.ParseResult r) => new()
    {
        ChunkChars = r.GetValue(ChunkChars),
        ChunkingMode = ParseChunking(r.GetValue(Chunking)!),
    };

    /// <summary>What a stage reads, from --input, --text-field, --id-field and --on-bad-record.</summary>
    internal static CorpusInputOptions BindCorpus(System.CommandLine.ParseResult r) => new()
    {
        Inputs = r.GetValue(Input)!,
        TextField = r.GetValue(TextField),
        IdField = r.GetValue(IdField),
        OnBadRecord = ParseOnBad(r.GetValue(OnBad)!),
    };

    /// <summary>
    /// How a stage runs, from --threads, --overwrite, --rank, --world-size and --merge; a flag the command does not
    /// have reads as its default. Without --rank/--world-size a process may still be a rank, by Slurm's array variables.
    /// </summary>
    internal static ExecutionOptions BindExecution(System.CommandLine.ParseResult r) => new()
    {
        // GetValue of an option the command lacks is default(int), not the option's default.
        Threads = r.CommandResult.Command.Options.Contains(Threads) ? r.GetValue(Threads) : new ExecutionOptions().Threads,
        Overwrite = r.GetValue(Overwrite),
        Rank = Distributed(r),
        Merge = r.GetValue(Merge),
    };

    // --merge is one process after the ranks; anything else may be a rank, by option or by Slurm array variables.
    private static RankAssignment? Distributed(System.CommandLine.ParseResult r)
        => r.GetValue(Merge) && r.GetValue(Rank) is null && r.GetValue(WorldSize) is null ? null : RankAssignment.Resolve(r.GetValue(Rank), r.GetValue(WorldSize));

    internal static string SkipNote(CorpusReadReport report) => report.SkippedTotal == 0 ? "" : $"; {report.Summary()}";
}
