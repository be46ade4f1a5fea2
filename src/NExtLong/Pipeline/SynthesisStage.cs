using System.Runtime.ExceptionServices;
using System.Text.Json;
using NExtLong.Corpus;
using NExtLong.Dedup;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Output;
using NExtLong.Retrieval;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

namespace NExtLong.Pipeline;

/// <summary>
/// The `synthesize` stage: index folder + meta-document corpus → OUT_DIR with part-*.jsonl.zst, config.json (the
/// resolved configuration) and stats.json, written last as the mark of a complete dataset.
/// </summary>
public static class SynthesisStage
{
    /// <summary>What `synthesize` reads and makes, and how it runs; <see cref="Validate"/> checks it.</summary>
    public sealed record Options
    {
        /// <summary>The index folder made by <see cref="IndexStage"/>, where hard negatives come from.</summary>
        public required string IndexDir { get; init; }
        /// <summary>The meta-document corpus: its sources' mixing weights split <see cref="SynthesisOptions.NumSamples"/>.</summary>
        public required CorpusInputOptions Corpus { get; init; }
        /// <summary>The dataset folder to create (or resume, when made with the same configuration).</summary>
        public required string OutDir { get; init; }
        /// <summary>The tokenizer T is counted in when <see cref="Tokenizer"/> is not given.</summary>
        public const string DefaultTokenizer = "cl100k_base";
        /// <summary>The target tokenizer: cl100k_base, o200k_base, llama3, tiktoken:PATH or sentencepiece:PATH.</summary>
        public string Tokenizer { get; init; } = DefaultTokenizer;
        /// <summary>How documents are synthesized.</summary>
        public SynthesisOptions Synthesis { get; init; } = new();
        /// <summary>The formats the dataset is written in, and how tokenized ones frame documents.</summary>
        public DatasetOutputOptions Output { get; init; } = new();
        /// <summary>Threads, overwrite, and rank or merge: a rank synthesizes its candidate blocks into OUT.work, the merge writes the dataset from them.</summary>
        public ExecutionOptions Execution { get; init; } = new();
        /// <summary>
        /// Only for an index of vectors computed elsewhere (vectors:NAME): the model that made them, to embed
        /// meta-documents the index does not hold; without it those are refused (held ones reuse their stored vectors).
        /// </summary>
        public string? Embedder { get; init; }

        /// <summary>
        /// Whether the exact cut takes index chunks' ids from a token cache beside the index (<see cref="TokenCacheMode"/>):
        /// Auto (the default) builds one when the run cuts more tokens than the index holds, Use when one was made,
        /// Build to make it first. Not part of the configuration: the output is the same.
        /// </summary>
        public TokenCacheMode TokenCache { get; init; } = DefaultTokenCache;
        /// <summary>
        /// The token cache mode when <see cref="TokenCache"/> is not given: Auto. Measured on the sample corpus
        /// (docs/BENCHMARKS.md), building the cache for 64 × 131,072 tokens took less CPU than cutting without it.
        /// </summary>
        public const TokenCacheMode DefaultTokenCache = TokenCacheMode.Auto;

        /// <summary>
        /// Choose meta-documents by reading the corpus even where the index could serve them (<see cref="IndexedMetaDocuments"/>):
        /// for tests and benchmarks that compare the two ways, which give the same output.
        /// </summary>
        internal bool ReadMetaDocumentsFromCorpus { get; init; }

        /// <summary>What `run`'s dedup removed from the inputs (which are then its output): named in config.json, in full in stats.json.</summary>
        public DedupSummary? Dedup { get; init; }

        /// <summary>Throws an <see cref="OptionValidationException"/> for the first option out of range or meaningless; <see cref="Run"/> calls it first.</summary>
        /// <param name="isSet">Whether the caller set an option (by property name) rather than leaving its default; see <see cref="SynthesisOptions.Validate"/>.</param>
        public void Validate(Func<string, bool>? isSet = null)
        {
            OptionValidationException.NotBlank(nameof(IndexDir), IndexDir);
            OptionValidationException.NotNull(nameof(Corpus), Corpus, "corpus input options").Validate();
            OptionValidationException.NotBlank(nameof(OutDir), OutDir);
            if (Path.GetFullPath(OutDir).TrimEnd(Path.DirectorySeparatorChar) == Path.GetFullPath(IndexDir).TrimEnd(Path.DirectorySeparatorChar))
                throw OptionValidationException.Conflict(nameof(OutDir), OutDir, nameof(IndexDir), IndexDir, "the dataset and the index it reads need folders of their own");
            OptionValidationException.NotBlank(nameof(Tokenizer), Tokenizer);
            TargetTokenizer.CheckSpec(Tokenizer);
            if (Synthesis is null) throw OptionValidationException.OutOfRange(nameof(Synthesis), null, "synthesis options");
            if (Output is null) throw OptionValidationException.OutOfRange(nameof(Output), null, "output options");
            Synthesis.Validate(isSet);
            Output.Validate(isSet);
            OptionValidationException.NotNull(nameof(Execution), Execution, "execution options").Validate();
            if (Embedder is not null) OptionValidationException.NotBlank(nameof(Embedder), Embedder);
            if (!Enum.IsDefined(TokenCache)) throw OptionValidationException.OutOfRange(nameof(TokenCache), TokenCache, "auto, off, use or build");
        }
    }

    /// <summary>What a synthesis run did.</summary>
    /// <param name="Reused">True when OUT already held a complete dataset of this configuration, kept as it is.</param>
    /// <param name="Stats">The dataset's stats; null when reused or for a rank (which writes no dataset). Fewer documents
    /// than <see cref="SynthesisOptions.NumSamples"/> means the run fell short: failed.json, not stats.json, records it.</param>
    /// <param name="Report">Meta-document corpus records read and skipped, per file; empty when reused.</param>
    /// <param name="UnitsDone">Candidate blocks this rank synthesized, or skipped as not needed.</param>
    /// <param name="UnitsTotal">The stage's candidate blocks.</param>
    /// <param name="UnitsSkipped">Blocks of <paramref name="UnitsDone"/> skipped as not needed: the blocks before them already met every quota.</param>
    /// <param name="SourcesFromIndex">Sources whose meta-documents were chosen and read from the index (built from the same
    /// files, with the same fields), not from their files: the same documents, with none of the corpus decompressed.</param>
    public sealed record Outcome(bool Reused, SynthesisStats? Stats, CorpusReadReport Report, int UnitsDone = 0, int UnitsTotal = 0, int UnitsSkipped = 0,
        int SourcesFromIndex = 0);

    /// <summary>The resolved configuration, inputs and index by content; a rerun with an equal one reuses or resumes the dataset.</summary>
    public const string ConfigFile = "config.json";
    /// <summary>The run's <see cref="SynthesisStats"/> and the parts written; written last, it marks the dataset complete.</summary>
    public const string StatsFile = "stats.json";
    /// <summary>The last checkpoint (every <see cref="SynthesisOptions.DocumentsPerPart"/> documents) an interrupted run resumes from; removed when the dataset is complete.</summary>
    public const string ProgressFile = "progress.json";
    /// <summary>The record of a run that could not make every document asked for; never beside stats.json.</summary>
    public const string FailedFile = "failed.json";

    /// <summary>
    /// Synthesizes the dataset into <see cref="Options.OutDir"/>: locally, as rank r of W (candidate blocks into
    /// OUT.work), or as the merge (<see cref="Options.Execution"/>). A complete dataset of the same configuration is
    /// reused; an unfinished one resumes from its checkpoint. Falling short of the documents asked for is not an
    /// exception: see <see cref="Outcome"/>.
    /// </summary>
    /// <param name="options">The index, meta-documents, tokenizer, synthesis and output options; validated first.</param>
    /// <param name="progress">(phase, done, total): phase "select" while meta-documents are read, "synthesize" after.</param>
    /// <param name="ct">Stops the run; a rerun resumes from the last checkpoint (a rank: after its complete blocks).</param>
    /// <exception cref="OptionValidationException">An option is out of range, or means nothing with the method or selection.</exception>
    /// <exception cref="IOException">OUT holds a dataset of another configuration and overwrite is off, is not nextlong's,
    /// or OUT or the index is in use by another run.</exception>
    /// <exception cref="InvalidOperationException">The index cannot serve the retriever asked for; a meta-document cannot be
    /// embedded (an index of vectors computed elsewhere, no embedder); or the merge finds a block not complete.</exception>
    /// <exception cref="InvalidDataException">The index was built from an earlier version of an input file, or a block's
    /// file is missing at the merge.</exception>
    /// <exception cref="CorpusFormatException">A bad input record, when bad records fail the read.</exception>
    public static Outcome Run(Options options, Action<string, long, long?>? progress = null, CancellationToken ct = default)
    {
        options.Validate();
        options.Corpus.RequireApartFrom(options.OutDir);
        var execution = options.Execution;
        var report = new CorpusReadReport();
        // A rank works in OUT.work only, under the executor's locks; a local run or the merge holds OUT alone.
        using var hold = execution.Rank is null ? OutputFolder.Claim(options.OutDir, OutputKind.Dataset, execution.Overwrite) : null;
        var sources = options.Corpus.Sources();
        var s = options.Synthesis;
        var quotas = CorpusMixture.Apportion(sources.Select(x => x.Weight).ToList(), s.NumSamples).Select(q => (int)q).ToList();
        // Read under a shared lock: nobody rebuilds the index while a synthesis reads it.
        using var indexLock = OutputFolder.LockForReading(options.IndexDir);
        // Choosing meta-documents reads the index's ids or the whole corpus: with threads to spare it starts now, on
        // one thread, while the others open and check the index, check the inputs, open the token cache and measure E.
        using var selection = new CandidateSelection(token => SelectCandidates(sources, quotas, s.Seed, options, report, progress, token), execution.Threads > 1, ct);
        // With threads to spare the inputs are hashed while the index files are: checks of content, independent of each other.
        var described = execution.Threads > 1
            ? Task.Run(() => CorpusInputs.Describe(sources, checksums: true, execution.Threads, ct), ct)
            : Task.FromResult(CorpusInputs.Describe(sources, checksums: true, 1, ct));
        // So is the target tokenizer's vocabulary read; it is taken (or its failure thrown) where it was loaded before.
        var loading = execution.Threads > 1 ? Task.Run(() => TargetTokenizer.Load(options.Tokenizer), ct) : null;
        using var index = OpenVerified(options.IndexDir, execution.Threads, [described, loading], ct);
        var inputs = described.GetAwaiter().GetResult();
        // A bm25 retrieval embeds nothing, so it needs no embedder at all.
        var retriever = options.Synthesis.Retriever ?? index.Retriever;
        ChunkRetrievers.RequireServes(index, retriever, options.Synthesis.Hybrid, options.Synthesis.Bm25);
        if (!retriever.NeedsVectors() && options.Embedder is not null)
            throw OptionValidationException.OutOfRange(nameof(Options.Embedder), options.Embedder, "only for an index of imported vectors (embedder vectors:NAME)",
                $"a {retriever.Name()} retrieval embeds nothing");
        using var embedder = retriever.NeedsVectors() ? MetaChunkEmbedder(options, index.Manifest) : null;
        var tokenizer = loading?.GetAwaiter().GetResult() ?? TargetTokenizer.Load(options.Tokenizer);
        RequireFreshIndex(options.IndexDir, index.Manifest, inputs);
        // Checked against the tokenizer again before the dataset is published.
        var probe = TokenizerProbe.For(tokenizer);
        string config = ConfigJson(options, index, retriever, tokenizer, probe, sources, quotas, inputs);

        string configPath = Path.Combine(options.OutDir, ConfigFile);
        string statsPath = Path.Combine(options.OutDir, StatsFile);
        string progressPath = Path.Combine(options.OutDir, ProgressFile);
        // Reused: nothing read (a selection under way is stopped), so an empty read report.
        if (File.Exists(configPath) && File.ReadAllText(configPath) == config && !execution.Overwrite && HoldsAllItLists(options.OutDir, statsPath))
            return new Outcome(true, null, new CorpusReadReport());
        if (execution.Rank is { } rank)
        {
            RequireReplaceable(options.OutDir, configPath, config, execution.Overwrite);
            using var rankCache = OpenTokenCache(options, index, tokenizer, ct);
            using var rankSynthesizer = new Synthesizer(index, embedder, tokenizer, s, execution.Threads, rankCache, ct);
            var mine = new Blocks(WorkPlan(config), rankSynthesizer,
                RequireEmbeddable(rankSynthesizer, selection.Candidates()), quotas);
            var ran = StageExecutor.RunRank(mine, options.OutDir, rank, (done, total) => progress?.Invoke("synthesize", done, total), ct);
            return new Outcome(false, null, report, ran.Done.Count, ran.UnitsTotal, ran.UnitsSkipped, selection.SourcesFromIndex);
        }
        var candidates = execution.Merge ? selection.Candidates() : null;
        using var session = candidates is not null
            ? StageExecutor.BeginMerge(new Blocks(WorkPlan(config), null, candidates, quotas), options.OutDir)
            : null;
        // What the run replaces is unlinked on a thread of its own while it starts; waited for before it publishes.
        using var replaced = new Discard();
        var resume = PrepareOutDir(hold!, configPath, progressPath, config, execution.Overwrite, replaced);
        // The merge only writes the ranks' documents: it cuts nothing.
        using var tokenCache = session is null ? OpenTokenCache(options, index, tokenizer, ct) : null;
        using var synthesizer = new Synthesizer(index, embedder, tokenizer, s, execution.Threads, tokenCache, ct);
        // E is measured here, while the meta-documents are still being read, when that happens on a thread of its own.
        var start = resume ?? (selection.InBackground ? SynthesisLoop.Start(synthesizer, quotas, ct) : null);
        candidates ??= selection.Candidates();
        if (session is null) RequireEmbeddable(synthesizer, candidates);
        // The card looks for the sources' licences beside their first files, which config.json does not name.
        var licenseInputs = sources.Select(x => CorpusReader.ResolveFiles(x).FirstOrDefault()).OfType<string>().ToList();
        using var writer = DatasetWriterFactory.Create(options.OutDir, options.Output, tokenizer, s.DocumentsPerPart, config, licenseInputs, resume?.Writer, execution.Threads);
        // Nothing reads the index or the token cache once the last document is synthesized: they are unmapped (the
        // page-table teardown of a large index holds a core for tens of milliseconds) while the writers finish their
        // files, and the run waits for that before it returns, or before the disposals if it fails.
        var unmapping = Task.CompletedTask;
        void Unmap() => unmapping = Task.Factory.StartNew(() =>
        {
            synthesizer.Dispose();
            index.Dispose(alongside: tokenCache is null ? null : tokenCache.Dispose);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            var stats = SynthesisLoop.Run(synthesizer, s, candidates, quotas, writer, start,
                state => AtomicFile.WriteAllText(progressPath, state.Serialize()),
                (written, tried) => progress?.Invoke("synthesize", written, s.NumSamples), ct,
                session is not null ? new BlockOutcomes(session, candidates.Count, options.Output.Tokenized ? tokenizer : null, execution.Threads).For : null,
                session is null ? Unmap : null);
            probe.RequireSameIdsAs(tokenizer);
            replaced.Wait();
            return Publish(options, s, stats, report, selection, writer, session, configPath, statsPath, progressPath);
        }
        finally
        {
            unmapping.GetAwaiter().GetResult();
        }
    }

    // Writes what ends a run: the files' indexes, stats.json and the card (or failed.json, when short of the request).
    private static Outcome Publish(Options options, SynthesisOptions s, SynthesisStats stats, CorpusReadReport report, CandidateSelection selection,
        IDatasetWriter writer, MergeSession<BlockStats>? session, string configPath, string statsPath, string progressPath)
    {
        var json = stats.ToJson();
        json["corpus_read"] = ReadReportJson(report);
        json["requested"] = s.NumSamples;
        if (options.Dedup is not null) json["dedup"] = JsonSerializer.SerializeToNode(options.Dedup.Stats, DedupStats.Json.Info<DedupStats>());
        if (stats.DocumentsWritten < s.NumSamples)
        {
            // Short of the request: no card, no MDS index, no stats.json — nothing that marks a dataset complete.
            // The record is failed.json; the checkpoint stays, so a rerun ends the same way quickly.
            writer.Dispose();
            json["error"] = $"only {stats.DocumentsWritten} of {s.NumSamples} documents could be made";
            AtomicFile.WriteAllText(Path.Combine(options.OutDir, FailedFile), JsonContracts.Indented.Serialize(json));
            return new Outcome(false, stats, report, SourcesFromIndex: selection.SourcesFromIndex);
        }
        using (var publication = AtomicFile.Defer())
        {
            json["files"] = writer.Complete();
            // The renames follow one another with no writing between them: the format indexes, the mark, and then
            // what describes the dataset (the reverse of OutputFolder.Withdraw), so no card ever stands without its mark.
            AtomicFile.WriteAllText(statsPath, JsonContracts.Indented.Serialize(json));
            publication.Commit(last: OutputFolder.DescribesResult);
        }
        File.Delete(progressPath);
        session?.Finish();
        return new Outcome(false, stats, report, SourcesFromIndex: selection.SourcesFromIndex);
    }

    /// <summary>
    /// The meta-documents' choice (<see cref="SelectCandidates"/>), made on a thread of its own when asked, so that it
    /// overlaps the rest of the start; otherwise made by the first <see cref="Candidates"/>. Disposing it before it
    /// ended (a failure elsewhere, or a dataset found complete) stops it and waits, so no reader is left in the corpus.
    /// </summary>
    private sealed class CandidateSelection : IDisposable
    {
        private readonly Func<CancellationToken, Selected> _select;
        private readonly CancellationTokenSource _stop;
        private readonly Task<Selected>? _task;
        private Selected? _selected;

        public CandidateSelection(Func<CancellationToken, Selected> select, bool inBackground, CancellationToken ct)
        {
            _select = select;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (inBackground) _task = Task.Factory.StartNew(() => select(_stop.Token), _stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        public bool InBackground => _task is not null;

        /// <summary>The candidates; the selection's failure (a bad record, cancellation) is thrown here.</summary>
        public List<MetaDocumentSampler.Candidate> Candidates() => Result().Candidates;

        /// <summary>How many sources the index served (<see cref="IndexedMetaDocuments"/>) instead of their files being read.</summary>
        public int SourcesFromIndex => Result().SourcesFromIndex;

        private Selected Result() => _selected ??= _task is null ? _select(_stop.Token) : _task.GetAwaiter().GetResult();

        public void Dispose()
        {
            if (_task is { IsCompleted: false })
            {
                _stop.Cancel();
                try { _task.Wait(); } catch (AggregateException) { }
            }
            _stop.Dispose();
        }
    }

    // Only NExtLong cuts documents made of index chunks, so only it reads a chunk token cache, unless that is off.
    private static bool MayUseTokenCache(Options options) => options.Synthesis.Method == SynthesisMethod.NExtLong && options.TokenCache != TokenCacheMode.Off;

    private static ChunkTokenCache? OpenTokenCache(Options options, ChunkIndex index, TargetTokenizer tokenizer, CancellationToken ct)
    {
        if (!MayUseTokenCache(options)) return null;
        var mode = options.TokenCache;
        if (mode != TokenCacheMode.Auto)
            return ChunkTokenCache.Open(index, tokenizer, options.Synthesis.Separator, mode, options.Execution.Threads, ct);
        // Building encodes every chunk once; the cut then encodes almost nothing of what it keeps. Ranks only use one:
        // each would build the same file at once.
        long planned = (long)options.Synthesis.NumSamples * options.Synthesis.TargetTokens;
        bool build = options.Execution.Rank is null && planned > ChunkTokenCache.EstimatedIndexTokens(index);
        try
        {
            return ChunkTokenCache.Open(index, tokenizer, options.Synthesis.Separator, build ? TokenCacheMode.Build : TokenCacheMode.Use, options.Execution.Threads, ct);
        }
        catch (Exception e) when (build && e is IOException or UnauthorizedAccessException)
        {
            // A read-only index folder: the cache only saves time, so the cut encodes the text.
            return ChunkTokenCache.Open(index, tokenizer, options.Synthesis.Separator, TokenCacheMode.Use, options.Execution.Threads, ct);
        }
    }

    // Meta-documents are chosen by a seeded hash of their ids, so every rank and the merge choose the same ones. A
    // source the index was built from is chosen from the index's ids and only the chosen documents are rebuilt from it
    // (IndexedMetaDocuments); other sources are read. The choice does not depend on reading order, so files are read
    // side by side; each file's read report is added in file order and a bad record fails the run as the first such
    // file in order would, as one reader would.
    private sealed record Selected(List<MetaDocumentSampler.Candidate> Candidates, int SourcesFromIndex);

    private static Selected SelectCandidates(IReadOnlyList<CorpusSource> sources, IReadOnlyList<int> quotas, ulong seed,
        Options options, CorpusReadReport report, Action<string, long, long?>? progress, CancellationToken ct)
    {
        var sampler = new MetaDocumentSampler(seed, quotas);
        var files = sources.SelectMany((source, i) => CorpusReader.ResolveFiles(source).Select(path => (Source: i, Path: path))).ToList();
        // Not verified here: the run opens the index verified, and checks the inputs' content against it, before it
        // uses any candidate.
        using var index = options.ReadMetaDocumentsFromCorpus ? null : TryOpen(options.IndexDir, ct);
        var servers = index is null ? [.. sources.Select(_ => -1)] : IndexedMetaDocuments.Servers(index, sources, CorpusInputs.Describe(sources, checksums: false));
        var offered = new Dictionary<CorpusDocument, int>(ReferenceEqualityComparer.Instance);
        var served = new CorpusReadReport.Snapshot?[files.Count];
        long read = 0;
        for (int i = 0; i < sources.Count; i++)
        {
            if (servers[i] < 0) continue;
            var own = Enumerable.Range(0, files.Count).Where(f => files[f].Source == i).ToList();
            var snapshots = IndexedMetaDocuments.Offer(index!, servers[i], i, [.. own.Select(f => files[f].Path)], sampler, offered,
                done => progress?.Invoke("select", read + done, null), ct);
            for (int k = 0; k < own.Count; k++)
            {
                served[own[k]] = snapshots[k];
                read += snapshots[k].Files.Sum(x => x.DocumentsRead);
            }
        }
        var toRead = Enumerable.Range(0, files.Count).Where(f => served[f] is null).ToList();
        int threads = options.Execution.Threads, parallel = Math.Max(1, Math.Min(threads, toRead.Count));
        // Decompressing ahead puts a file's read on two threads: for spare threads only.
        var readOptions = threads >= 2 * parallel ? options.Corpus.ReadOptions with { DecompressAhead = true } : options.Corpus.ReadOptions;
        var reports = new CorpusReadReport[files.Count];
        var failures = new ExceptionDispatchInfo?[files.Count];
        int firstFailed = int.MaxValue;
        var progressLock = new object();
        Parallel.For(0, toRead.Count, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct }, x =>
        {
            int f = toRead[x];
            var (source, path) = files[f];
            reports[f] = new CorpusReadReport(report.SkipLocationsKept);
            try
            {
                foreach (var doc in CorpusReader.ReadFile(sources[source], path, readOptions, reports[f], ct))
                {
                    // A failure in an earlier file decides the outcome: later files need not be read on.
                    if (f > Volatile.Read(ref firstFailed)) return;
                    sampler.Offer(doc, source);
                    long n = Interlocked.Increment(ref read);
                    if (n % 1000 == 0 && progress is not null)
                        lock (progressLock) progress("select", n, null);
                }
            }
            catch (Exception e)
            {
                failures[f] = ExceptionDispatchInfo.Capture(e);
                for (int seen = Volatile.Read(ref firstFailed); f < seen; seen = Volatile.Read(ref firstFailed))
                    if (Interlocked.CompareExchange(ref firstFailed, f, seen) == seen) break;
            }
        });
        if (firstFailed != int.MaxValue) failures[firstFailed]!.Throw();
        for (int f = 0; f < files.Count; f++) report.Add(served[f] ?? reports[f].TakeSnapshot());
        progress?.Invoke("select", read, read);
        var candidates = sampler.Candidates();
        return new(index is null ? candidates : IndexedMetaDocuments.WithTexts(index, candidates, offered), servers.Count(j => j >= 0));
    }

    // The work started beside the index's checks (the inputs' hashing, the tokenizer's loading) has ended when this
    // returns, whatever the outcome, so that nothing of the run is left working; a failure to open the index is the
    // run's error, theirs are thrown where their results are taken.
    private static ChunkIndex OpenVerified(string dir, int threads, Task?[] beside, CancellationToken ct)
    {
        try
        {
            return ChunkIndex.Open(dir, ct: ct, threads: threads);
        }
        finally
        {
            foreach (var task in beside)
                try { task?.Wait(CancellationToken.None); } catch (AggregateException) { }
        }
    }

    // The index for choosing meta-documents from, or null (none there, or unreadable: the run's own opening of it
    // reports why).
    private static ChunkIndex? TryOpen(string dir, CancellationToken ct)
    {
        try
        {
            return ChunkIndex.Exists(dir) ? ChunkIndex.OpenDocuments(dir, ct) : null;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The work is the same whatever files the dataset is written as, so the output options are not part of it.
    private static string WorkPlan(string config)
    {
        var plan = System.Text.Json.Nodes.JsonNode.Parse(config)!.AsObject();
        plan.Remove("output");
        plan.Remove("documents_per_part");
        plan["stage"] = "synthesize";
        return plan.ToJsonString(JsonContracts.Indented);
    }

    /// <summary>
    /// The distributed shape of the stage: blocks of consecutive candidates, each synthesized whole (an outcome depends
    /// only on its candidate and E) and saved for the merge, which accepts outcomes in candidate order as a local run does.
    /// </summary>
    private sealed class Blocks(string plan, Synthesizer? synthesizer, List<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> quotas)
        : IDistributedStage<BlockStats>
    {
        private double _encodingRate;
        private readonly long[] _produced = new long[quotas.Count];
        private int _counted;

        public string Name => "synthesize";

        public string Plan => plan;

        public int UnitCount => CandidateBlock.Count(candidates.Count);

        public string UnitName(int unit) => CandidateBlock.Name(unit);

        public BlockStats Run(int block, string output, CancellationToken ct)
        {
            if (_encodingRate == 0) _encodingRate = synthesizer!.MeasureEncodingRate().CharsPerToken;
            var (first, end) = CandidateBlock.Range(block, candidates.Count);
            var outcomes = synthesizer!.SynthesizeAll(candidates, Enumerable.Range(first, end - first).ToList(), _encodingRate, ct);
            CandidateBlock.Write(output, first, outcomes);
            var produced = new int[quotas.Count];
            var dropped = new Dictionary<DropReason, int>();
            for (int i = 0; i < outcomes.Length; i++)
            {
                if (outcomes[i].Document is not null) produced[candidates[first + i].SourceIndex]++;
                else dropped[outcomes[i].DropReason!.Value] = dropped.GetValueOrDefault(outcomes[i].DropReason!.Value) + 1;
            }
            return new BlockStats(first, end - first, false, produced, SynthesisStats.DroppedByName(dropped));
        }

        // Blocks are claimed in order, so most earlier ones are done: once they alone fill every quota, a local run
        // would never reach this block, and neither will the merge.
        public BlockStats? Unneeded(int block, Func<int, BlockStats?> completed)
        {
            while (_counted < block && completed(_counted) is { } stats)
            {
                for (int i = 0; i < _produced.Length; i++) _produced[i] += stats.DocumentsPerSource[i];
                _counted++;
            }
            if (_counted < block || _produced.Where((p, i) => p < quotas[i]).Any()) return null;
            var (first, end) = CandidateBlock.Range(block, candidates.Count);
            return new BlockStats(first, end - first, true, new int[quotas.Count], []);
        }
    }

    /// <summary>What a rank made of one block (documents per source, drops by reason), or that it was not needed.</summary>
    internal sealed record BlockStats(int FirstCandidate, int Candidates, bool SkippedNotNeeded, int[] DocumentsPerSource, SortedDictionary<string, int> Dropped);

    /// <summary>
    /// The merge's source of outcomes: the ranks' block files, read in candidate order. Blocks keep no token ids
    /// (they would double a block), so for the tokenized formats (<paramref name="tokenizer"/> not null) the texts
    /// read back are encoded on all threads: the ids the cut collected, which are the cut prefix's own encoding.
    /// </summary>
    private sealed class BlockOutcomes(MergeSession<BlockStats> session, int candidateCount, TargetTokenizer? tokenizer, int threads)
    {
        private int _block = -1;
        private Synthesizer.Outcome[] _outcomes = [];

        public Synthesizer.Outcome[] For(IReadOnlyList<int> batch)
        {
            var results = new Synthesizer.Outcome[batch.Count];
            for (int i = 0; i < batch.Count; i++)
            {
                int c = batch[i], block = c / CandidateBlock.Size(candidateCount);
                if (block != _block)
                {
                    var (first, end) = CandidateBlock.Range(block, candidateCount);
                    string path = session.OutputOf(block);
                    // A block its rank skipped as not needed lies past the point where every quota is met; the batch
                    // may still name it, but no outcome of it is ever accepted (null outcomes fail loudly if one were).
                    if (session.StatsOf(block).SkippedNotNeeded)
                        _outcomes = new Synthesizer.Outcome[end - first];
                    else if (!File.Exists(path))
                        throw new InvalidDataException($"{path}: missing; delete {session.CompletionOf(block)} and rerun the rank that owns it");
                    else
                        _outcomes = WithTokenIds(CandidateBlock.Read(path, first, end - first));
                    _block = block;
                }
                results[i] = _outcomes[c - block * CandidateBlock.Size(candidateCount)];
            }
            return results;
        }

        private Synthesizer.Outcome[] WithTokenIds(Synthesizer.Outcome[] outcomes)
        {
            if (tokenizer is null) return outcomes;
            Parallel.For(0, outcomes.Length, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
            {
                if (outcomes[i].Document is { } d)
                    outcomes[i] = outcomes[i] with { Document = d with { TokenIds = [.. tokenizer.EncodeToIds(d.Text)] } };
            });
            return outcomes;
        }
    }

    // The worst input error: an index built from an earlier version of the meta-documents' own files. Its stale copies
    // of a meta-document's text are not found by id as its own chunks when ids changed, and old text leaks in.
    // The index's own embedder; for an index of vectors computed elsewhere none, or the one the user names.
    private static IEmbedder? MetaChunkEmbedder(Options options, IndexManifest manifest)
    {
        if (External.ImportedVectors.IsSpec(manifest.Embedder))
            return options.Embedder is null ? null : EmbedderFactory.Create(options.Embedder);
        if (options.Embedder is not null)
            throw OptionValidationException.OutOfRange(nameof(Options.Embedder), options.Embedder, "only for an index of imported vectors (embedder vectors:NAME)",
                $"this index embeds with its own {manifest.Embedder}");
        return EmbedderFactory.Create(manifest.Embedder);
    }

    // Refused before any work: a candidate an index of imported vectors does not hold, with no model to embed it.
    private static List<MetaDocumentSampler.Candidate> RequireEmbeddable(Synthesizer synthesizer, List<MetaDocumentSampler.Candidate> candidates)
    {
        foreach (var candidate in candidates)
            if (synthesizer.WhyNotStored(candidate.Document) is { } why) throw new InvalidOperationException(why);
        return candidates;
    }

    private static void RequireFreshIndex(string indexDir, IndexManifest manifest, IReadOnlyList<IndexedSource> inputs)
    {
        var indexed = manifest.Sources.SelectMany(src => src.Files.Select(f => (src.Name, f))).ToDictionary(x => (x.Name, x.f.Path), x => x.f);
        foreach (var source in inputs)
            foreach (var file in source.Files)
                if (indexed.TryGetValue((source.Name, file.Path), out var built) && built.Xxh3 is not null && built.Xxh3 != file.Xxh3)
                    throw new InvalidDataException($"{indexDir}: is stale: built from an earlier version of {source.Name}:{file.Path} (its content changed); rebuild the index (`nextlong index --overwrite`)");
    }

    private static void RequireReplaceable(string dir, string configPath, string config, bool overwrite)
    {
        bool ours = Directory.Exists(dir) && Directory.EnumerateFiles(dir).Any(HoldsDataset);
        if (ours && !overwrite && !(File.Exists(configPath) && File.ReadAllText(configPath) == config))
            throw new IOException($"{dir}: already holds a dataset made with another configuration; pass --overwrite to replace it");
    }

    private static Dictionary<string, object> ReadReportJson(CorpusReadReport report) => new()
    {
        ["documents_read"] = report.DocumentsRead,
        ["skipped"] = Enum.GetValues<CorpusSkipReason>().ToDictionary(CorpusReadReport.ReasonName, r => report.Skipped(r)),
        ["first_skips"] = report.FirstSkips.Select(x => $"{x.Location}: {CorpusReadReport.ReasonName(x.Reason)}: {x.Detail}").ToList(),
    };


    // Everything that decides the output, and nothing that does not (no thread count, no timings), so that the
    // same inputs give a byte-identical folder.
    private static string ConfigJson(Options o, ChunkIndex index, RetrieverKind retriever, TargetTokenizer tokenizer, TokenizerProbe probe, IReadOnlyList<CorpusSource> sources,
        IReadOnlyList<int> quotas, IReadOnlyList<IndexedSource> inputs)
    {
        var s = o.Synthesis;
        var config = new Dictionary<string, object?>
        {
            ["config_version"] = 1,
            ["method"] = s.Method.ToString().ToLowerInvariant(),
            ["meta_chunk_placement"] = s.Placement.ToString().ToLowerInvariant(),
            ["negative_selection"] = s.Selection.ToString().ToLowerInvariant(),
            ["candidate_pool"] = s.CandidatePool,
            ["retriever"] = retriever.Name(),
            ["target_tokens"] = s.TargetTokens,
            // The spec without a tokenizer file's folder, and the ids it gives a probe text: no machine path, yet
            // two tokenizer files of one name are told apart (and a training recipe can check a model's tokenizer).
            ["tokenizer"] = tokenizer.PortableName,
            ["tokenizer_probe"] = new Dictionary<string, object?> { ["text"] = probe.Text, ["ids"] = probe.Ids },
            ["bos_id"] = tokenizer.BosId,
            ["eos_id"] = tokenizer.EosId,
            ["num_samples"] = s.NumSamples,
            ["seed"] = s.Seed,
            ["oversampling_w"] = s.Oversampling,
            ["near_duplicate_threshold"] = s.NearDuplicateThreshold,
            ["false_negative_threshold"] = s.FalseNegativeThreshold,
            ["separator"] = s.Separator,
            ["max_attempts"] = s.MaxAttempts,
            ["encoding_rate_sample_chars"] = s.EncodingRateSampleChars,
            ["documents_per_part"] = s.DocumentsPerPart,
            ["output"] = o.Output.ToConfig(tokenizer, s.TargetTokens),
            ["inputs"] = CorpusInputOptions.ConfigInputs(sources, inputs, quotas),
            ["index"] = new Dictionary<string, object?>
            {
                ["spec"] = index.Manifest.IndexSpec,
                ["retriever"] = index.Manifest.Retriever,
                // The analyzer the index was built with, and the scoring this synthesis used (the index's unless overridden).
                ["lexical"] = index.Manifest.Lexical is { } built && s.Bm25.Apply(built) is var bm25 ? new Dictionary<string, object?>
                {
                    ["analyzer"] = bm25.Analyzer,
                    ["k1"] = bm25.K1,
                    ["b"] = bm25.B,
                    ["query_terms"] = bm25.QueryTerms,
                    ["min_doc_freq"] = bm25.MinDocFreq,
                } : null,
                ["embedder"] = index.Manifest.Embedder,
                ["dimension"] = index.Manifest.Dimension,
                ["chunk_chars"] = index.Manifest.ChunkChars,
                ["chunking_mode"] = index.Manifest.ChunkingMode,
                ["documents"] = index.Manifest.Documents,
                ["chunks"] = index.Manifest.Chunks,
                // The index is named by its content, not its folder, so a dataset does not depend on where the index lay.
                ["vectors_checksum"] = index.Manifest.FileChecksums.GetValueOrDefault("vectors.flat"),
                ["chunks_checksum"] = index.Manifest.FileChecksums.GetValueOrDefault("chunks.text"),
                ["lexical_checksum"] = index.Manifest.FileChecksums.GetValueOrDefault(ChunkIndexFiles.Lexical),
            },
        };
        if (retriever == RetrieverKind.Hybrid) config["hybrid_fusion"] = s.Hybrid.Name();
        // Only for imported vectors with a model for meta-documents the index does not hold: it decides their vectors.
        if (o.Embedder is not null) config["meta_embedder"] = o.Embedder;
        // Only from `run` with dedup: the inputs above are the dedup output; this says what was removed and from which
        // original inputs (by content), so the dataset still names the corpus it came from.
        if (o.Dedup is { Stats: var d } dedup)
            config["dedup"] = new Dictionary<string, object?>
            {
                ["method"] = d.Method,
                ["folder"] = "dedup",
                ["documents_read"] = d.DocumentsRead,
                ["removed_exact"] = d.RemovedExact,
                ["removed_near"] = d.RemovedNear,
                ["inputs"] = System.Text.Json.Nodes.JsonNode.Parse(dedup.Config)!["inputs"]!.DeepClone(),
            };
        return JsonContracts.Indented.Serialize(config);
    }

    // An unfinished run of the same configuration resumes from its last checkpoint (files after it are removed);
    // a dataset made another way is only replaced when asked. Other entries (such as `run`'s index) stay.
    private static SynthesisProgress? PrepareOutDir(OutputFolder folder, string configPath, string progressPath, string config, bool overwrite, Discard replaced)
    {
        string dir = folder.Path;
        var ours = Directory.Exists(dir) ? Directory.EnumerateFiles(dir).Where(IsDatasetFile).ToList() : [];
        bool sameConfig = File.Exists(configPath) && File.ReadAllText(configPath) == config;
        if (ours.Any(HoldsDataset) && !sameConfig && !overwrite)
            throw new IOException($"{dir}: already holds a dataset made with another configuration; pass --overwrite to replace it");
        SynthesisProgress? resume = null;
        if (sameConfig && !overwrite && File.Exists(progressPath))
            resume = SynthesisProgress.Deserialize(File.ReadAllText(progressPath), progressPath);
        var keep = new HashSet<string>(StringComparer.Ordinal) { ConfigFile, ProgressFile };
        if (resume?.Writer is { } checkpoint) keep.UnionWith(checkpoint.Files);
        // Not complete (or about to be replaced): nothing may say otherwise while the work runs.
        folder.Withdraw();
        replaced.Files([.. ours.Where(f => resume is null || !keep.Contains(Path.GetFileName(f)) || f.EndsWith(".tmp", StringComparison.Ordinal)),
            .. DatasetWriterFactory.Replaced(dir, newDataset: resume is null)]);
        Directory.CreateDirectory(dir);
        AtomicFile.WriteAllText(configPath, config);
        return resume;
    }

    /// <summary>
    /// Whether stats.json is there and every file it lists too: a run killed between its mark and its card, or a file
    /// removed since, makes a dataset a rerun completes again rather than one it keeps as it is.
    /// </summary>
    private static bool HoldsAllItLists(string dir, string statsPath)
    {
        if (!File.Exists(statsPath)) return false;
        try
        {
            using var stats = JsonDocument.Parse(File.ReadAllText(statsPath));
            return stats.RootElement.TryGetProperty("files", out var files) && files.ValueKind == JsonValueKind.Array
                && files.EnumerateArray().All(f => f.ValueKind == JsonValueKind.String && File.Exists(Path.Combine(dir, f.GetString()!)));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsDatasetFile(string path)
    {
        string name = Path.GetFileName(path);
        return name.StartsWith("part-", StringComparison.Ordinal) || name is StatsFile or ConfigFile or ProgressFile or FailedFile || name.EndsWith(".tmp", StringComparison.Ordinal);
    }

    // A dataset file that says what was made: not a temporary one, which only a run killed while writing it leaves (a
    // run killed while writing its config.json left only that, and its rerun was refused as another configuration's).
    private static bool HoldsDataset(string path) => IsDatasetFile(path) && !path.EndsWith(".tmp", StringComparison.Ordinal);
}
