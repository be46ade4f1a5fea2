using NExtLong.Output;
using NExtLong.Synthesis;

namespace NExtLong.Pipeline;

/// <summary>
/// The dataset loop of a synthesis run: candidates synthesized in batches on all threads (or read from the ranks'
/// blocks by a merge), accepted strictly in candidate order against each source's quota, written, and checkpointed
/// every <see cref="SynthesisOptions.DocumentsPerPart"/> documents. It lives here, not in Synthesis, so synthesis
/// knows nothing of writers and checkpoints.
/// </summary>
internal static class SynthesisLoop
{
    /// <summary>
    /// Synthesizes until every source has its quota of documents or the candidates run out, writing documents in
    /// acceptance order. Every <see cref="SynthesisOptions.DocumentsPerPart"/> documents the writer checkpoints and
    /// <paramref name="checkpoint"/> receives the state to resume from; the points do not depend on interruptions,
    /// so a resumed run writes exactly what an uninterrupted one does. <paramref name="progress"/> gets
    /// (written, tried) after each batch.
    /// </summary>
    /// <param name="synthesizer">Synthesizes the candidates (unless <paramref name="outcomes"/> supplies them) and measures E for a fresh start.</param>
    /// <param name="options">The run's options; only <see cref="SynthesisOptions.DocumentsPerPart"/> is read here.</param>
    /// <param name="candidates">Meta-documents in the order they are tried (<see cref="MetaDocumentSampler"/>).</param>
    /// <param name="quotas">Documents wanted per source, indexed like the candidates' <see cref="MetaDocumentSampler.Candidate.SourceIndex"/>.</param>
    /// <param name="writer">Receives the documents in acceptance order, named nextlong-NNNNNNNN; checkpointed, not completed, here.</param>
    /// <param name="resume">The last checkpoint of an interrupted run (its stats, quotas left, next candidate, writer state),
    /// or a fresh one from <see cref="Start"/>; null starts afresh and measures E first.</param>
    /// <param name="checkpoint">Receives the state to save after every <see cref="SynthesisOptions.DocumentsPerPart"/> documents.</param>
    /// <param name="progress">(documents written, candidates tried) after each batch.</param>
    /// <param name="ct">Checked before each batch and while synthesizing.</param>
    /// <param name="outcomes">Where the outcomes of a batch of candidates (increasing indexes) come from: by default
    /// they are synthesized here; a distributed merge reads the ones its ranks made.</param>
    /// <param name="synthesized">Called once every document is in hand and no worker synthesizes any more, before the
    /// writers finish their files: what only synthesis reads (the index, the token cache) can be let go from then on.</param>
    /// <returns>The run's stats; fewer documents than the quotas' sum when the candidates ran out.</returns>
    /// <exception cref="InvalidOperationException">An open quota needs a candidate for which <paramref name="outcomes"/> has no outcome.</exception>
    public static SynthesisStats Run(Synthesizer synthesizer, SynthesisOptions options, IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> quotas,
        IDatasetWriter writer, SynthesisProgress? resume = null, Action<SynthesisProgress>? checkpoint = null,
        Action<int, int>? progress = null, CancellationToken ct = default, Func<IReadOnlyList<int>, Synthesizer.Outcome[]>? outcomes = null,
        Action? synthesized = null)
    {
        var state = resume ?? Start(synthesizer, quotas, ct);
        var stats = state.Stats;
        var remaining = state.Remaining;
        int threads = synthesizer.Threads;
        double e = stats.EncodingRateCharsPerToken;
        // Candidates one by one as workers come free, where batches share nothing (BM25: a search per meta-chunk);
        // batches where they share a search (an exact scan serves the whole batch), or come from a merge's blocks.
        bool streaming = outcomes is null && threads > 1 && !synthesizer.SharesWorkInBatches;
        using var ahead = streaming ? new Lookahead(synthesizer, candidates, remaining, e, threads, ct) : null;
        var batches = streaming ? null : new Batches(synthesizer, candidates, remaining, e, threads * 2, ct, outcomes);
        // The writers' work (JSON, compression, shards) runs on threads of their own, one per format, beside the
        // workers, so this thread only accepts; each format still gets the documents in acceptance order. A format's
        // queue holds about WriterQueueBytes of documents: enough to ride out a 64 MiB MDS shard's write and flush
        // (~0.2 s) without stopping the workers, and the same memory at any T.
        using var background = threads > 1 ? new BackgroundDatasetWriter(writer, WriterQueueCapacity(threads, options.TargetTokens)) : null;
        IDatasetWriter output = (IDatasetWriter?)background ?? writer;
        // With writer threads, a checkpoint's files are made durable on them while this thread goes on accepting (an
        // MDS shard's write and flush used to hold every worker); its state is saved as soon as they are, always after
        // its files, and one checkpoint at a time, in order.
        Task? saving = null;
        Forecast(output, remaining, stats.DocumentsWritten, options.DocumentsPerPart);
        try
        {
            // Accept strictly in candidate order; stop counting the moment every quota is met, so the counts depend
            // only on the candidates before that point.
            for (int c = state.NextCandidate; c < candidates.Count && remaining.Any(r => r > 0); c++)
            {
                ct.ThrowIfCancellationRequested();
                var candidate = candidates[c];
                state.NextCandidate = c + 1;
                if (remaining[candidate.SourceIndex] == 0)
                {
                    stats.CandidatesSkippedSourceFull++;
                    continue;
                }
                stats.CandidatesTried++;
                var outcome = (ahead?.OutcomeOf(c) ?? batches!.OutcomeOf(c))
                    ?? throw new InvalidOperationException($"candidate {c}: no outcome (its block was skipped as not needed, yet a quota is still open)");
                if (outcome.Document is not { } doc)
                {
                    stats.Drop(outcome.DropReason!.Value);
                    progress?.Invoke(stats.DocumentsWritten, stats.CandidatesTried);
                    continue;
                }
                output.Write($"nextlong-{stats.DocumentsWritten:D8}", doc);
                stats.Add(doc);
                remaining[candidate.SourceIndex]--;
                if (stats.DocumentsWritten % options.DocumentsPerPart == 0)
                {
                    saving?.GetAwaiter().GetResult();
                    if (background is null)
                    {
                        state.Writer = output.Checkpoint();
                        checkpoint?.Invoke(state);
                    }
                    else
                    {
                        var snapshot = state.Snapshot();
                        saving = background.CheckpointAsync().ContinueWith(files =>
                        {
                            snapshot.Writer = files.GetAwaiter().GetResult();
                            checkpoint?.Invoke(snapshot);
                        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                    }
                    Forecast(output, remaining, stats.DocumentsWritten, options.DocumentsPerPart);
                }
                progress?.Invoke(stats.DocumentsWritten, stats.CandidatesTried);
            }
            // Work ahead of acceptance that no quota needs is dropped; the workers are stopped.
            ahead?.Dispose();
            synthesized?.Invoke();
            saving?.GetAwaiter().GetResult();
            saving = null;
            // A run that is done ends its open parts and shards here, each format on its own thread side by side, so
            // that Complete (on this thread, one format after another) has only the indexes and renames left.
            if (background is not null && remaining.All(r => r == 0) && stats.DocumentsWritten % options.DocumentsPerPart != 0)
                background.Checkpoint();
            else
                background?.Drain();
        }
        finally
        {
            // Stopped (a signal, a failure): the checkpoint under way is still saved, so a rerun resumes from it. The
            // run's own exception is the one to report, not this one's.
            try { saving?.GetAwaiter().GetResult(); }
            catch (Exception) { }
        }
        return stats;
    }

    /// <summary>
    /// Tells a writer that prepares (<see cref="IExpectsDocuments"/>) how many documents it gets before the next
    /// checkpoint or the end, when one source is left with an open quota: then every document accepted until then is
    /// that source's, and there are exactly that many unless the candidates run out (and the run fails, its files
    /// abandoned). With several sources open, how the next documents divide among them is not known in advance.
    /// </summary>
    private static void Forecast(IDatasetWriter writer, IReadOnlyList<int> remaining, int written, int documentsPerPart)
    {
        if (writer is not IExpectsDocuments prepares || remaining.Count(r => r > 0) != 1) return;
        prepares.Expect(Math.Min(documentsPerPart - written % documentsPerPart, remaining.First(r => r > 0)));
    }

    /// <summary>
    /// Outcomes of batches: the first candidate asked for that no batch holds starts the next batch, the candidates
    /// from there whose source still has an open quota, synthesized together (or read from a merge's blocks).
    /// </summary>
    private sealed class Batches(Synthesizer synthesizer, IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> remaining,
        double e, int batchSize, CancellationToken ct, Func<IReadOnlyList<int>, Synthesizer.Outcome[]>? outcomes)
    {
        private readonly Dictionary<int, Synthesizer.Outcome> _batch = [];

        public Synthesizer.Outcome OutcomeOf(int c)
        {
            if (_batch.TryGetValue(c, out var known)) return known;
            _batch.Clear();
            var batch = new List<int>(batchSize);
            for (int next = c; batch.Count < batchSize && next < candidates.Count; next++)
                if (remaining[candidates[next].SourceIndex] > 0) batch.Add(next);
            var results = outcomes?.Invoke(batch) ?? synthesizer.SynthesizeAll(candidates, batch, e, ct);
            for (int i = 0; i < batch.Count; i++) _batch[batch[i]] = results[i];
            return _batch[c];
        }
    }

    /// <summary>
    /// Candidates synthesized one by one on worker threads of their own, in candidate order, ahead of the one being
    /// accepted: no worker waits for another at a batch's end. A candidate is started only while its source has more
    /// open quota than candidates of it in flight, so no work is done that acceptance could not use unless one is
    /// dropped. Each outcome depends only on its candidate and E, so the order of completion changes nothing.
    /// </summary>
    private sealed class Lookahead : IDisposable
    {
        private readonly Synthesizer _synthesizer;
        private readonly IReadOnlyList<MetaDocumentSampler.Candidate> _candidates;
        private readonly IReadOnlyList<int> _remaining;
        private readonly double _e;
        private readonly int _window;
        private readonly CancellationTokenSource _stop;
        private readonly Thread[] _workers;
        private readonly Queue<int> _queue = new();
        private readonly Dictionary<int, Synthesizer.Outcome> _done = [];
        private readonly Dictionary<int, int> _inFlight = [];  // by source: started, not yet accepted
        private readonly object _lock = new();
        private int _next = -1;  // the next candidate to consider starting; -1 before the first OutcomeOf
        private int _started;
        private Exception? _failure;
        private bool _closed;

        public Lookahead(Synthesizer synthesizer, IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> remaining,
            double e, int threads, CancellationToken ct)
        {
            _synthesizer = synthesizer;
            _candidates = candidates;
            _remaining = remaining;
            _e = e;
            _window = threads * 4;
            _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            _workers = [.. Enumerable.Range(0, threads).Select(i => new Thread(Work) { IsBackground = true, Name = $"nextlong synthesis {i}" })];
            foreach (var worker in _workers) worker.Start();
        }

        /// <summary>Candidate <paramref name="c"/>'s outcome (the caller asks in increasing order, for sources with open quota).</summary>
        public Synthesizer.Outcome OutcomeOf(int c)
        {
            lock (_lock)
            {
                if (_next < c) _next = c;
                Start(c);
                while (!_done.ContainsKey(c) && _failure is null) Monitor.Wait(_lock);
                if (_failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_failure);
                var outcome = _done[c];
                _done.Remove(c);
                int source = _candidates[c].SourceIndex;
                _inFlight[source]--;
                _started--;
                // Accepting it frees room ahead (a document written lowers its source's quota; the caller does that
                // after this returns, so the window refills on the next call).
                return outcome;
            }
        }

        // Under the lock: queues candidates from _next on, while the window has room and their sources' quotas allow.
        private void Start(int asked)
        {
            while (_next < _candidates.Count && _started < _window)
            {
                int source = _candidates[_next].SourceIndex;
                int open = _remaining[source] - _inFlight.GetValueOrDefault(source);
                if (_remaining[source] == 0) { _next++; continue; }  // skipped at acceptance too
                if (open <= 0 && _next != asked) break;  // needed only if one in flight is dropped: wait for that
                _inFlight[source] = _inFlight.GetValueOrDefault(source) + 1;
                _started++;
                _queue.Enqueue(_next++);
                Monitor.PulseAll(_lock);
            }
        }

        private void Work()
        {
            while (true)
            {
                int c;
                lock (_lock)
                {
                    while (_queue.Count == 0 && !_closed) Monitor.Wait(_lock);
                    if (_closed) return;
                    c = _queue.Dequeue();
                }
                Synthesizer.Outcome? outcome = null;
                Exception? failure = null;
                try
                {
                    outcome = _synthesizer.Synthesize(_candidates[c], _e, _stop.Token);
                }
                catch (Exception ex)
                {
                    failure = ex;
                }
                lock (_lock)
                {
                    if (outcome is not null) _done[c] = outcome;
                    else if (!_closed) _failure ??= failure;
                    Monitor.PulseAll(_lock);
                }
            }
        }

        /// <summary>Stops the workers: work in flight (beyond what was accepted) is cancelled and dropped.</summary>
        public void Dispose()
        {
            lock (_lock)
            {
                if (_closed) return;
                _closed = true;
                Monitor.PulseAll(_lock);
            }
            _stop.Cancel();
            foreach (var worker in _workers) worker.Join();
            _stop.Dispose();
        }
    }

    /// <summary>About what the documents queued for one format may hold: text (UTF-16) and ids, ~16 bytes a token.</summary>
    private const long WriterQueueBytes = 128L << 20;

    // Documents a format's queue holds: WriterQueueBytes' worth at T, and never fewer than two per worker.
    internal static int WriterQueueCapacity(int threads, int targetTokens) =>
        (int)Math.Max(threads * 2L, Math.Min(4096, WriterQueueBytes / (16L * Math.Max(1, targetTokens))));

    /// <summary>A fresh run's state: E measured, every quota open, nothing written. <see cref="Run"/> makes it when given no state.</summary>
    public static SynthesisProgress Start(Synthesizer synthesizer, IReadOnlyList<int> quotas, CancellationToken ct)
    {
        var stats = new SynthesisStats();
        var (e, chars, tokens) = synthesizer.MeasureEncodingRate(ct);
        stats.EncodingRateCharsPerToken = e;
        stats.EncodingRateSampleChars = chars;
        stats.EncodingRateSampleTokens = tokens;
        return new SynthesisProgress { Stats = stats, Remaining = [.. quotas] };
    }
}
