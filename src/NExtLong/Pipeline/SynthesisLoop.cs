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
    /// <param name="resume">The last checkpoint of an interrupted run (its stats, quotas left, next candidate, writer state);
    /// null starts afresh and measures E first.</param>
    /// <param name="checkpoint">Receives the state to save after every <see cref="SynthesisOptions.DocumentsPerPart"/> documents.</param>
    /// <param name="progress">(documents written, candidates tried) after each batch.</param>
    /// <param name="ct">Checked before each batch and while synthesizing.</param>
    /// <param name="outcomes">Where the outcomes of a batch of candidates (increasing indexes) come from: by default
    /// they are synthesized here; a distributed merge reads the ones its ranks made.</param>
    /// <returns>The run's stats; fewer documents than the quotas' sum when the candidates ran out.</returns>
    /// <exception cref="InvalidOperationException">An open quota needs a candidate for which <paramref name="outcomes"/> has no outcome.</exception>
    public static SynthesisStats Run(Synthesizer synthesizer, SynthesisOptions options, IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> quotas,
        IDatasetWriter writer, SynthesisProgress? resume = null, Action<SynthesisProgress>? checkpoint = null,
        Action<int, int>? progress = null, CancellationToken ct = default, Func<IReadOnlyList<int>, Synthesizer.Outcome[]>? outcomes = null)
    {
        var state = resume ?? StartState(synthesizer, quotas, ct);
        var stats = state.Stats;
        var remaining = state.Remaining;
        int threads = synthesizer.Threads;
        int batchSize = threads * 2;
        int next = state.NextCandidate;
        double e = stats.EncodingRateCharsPerToken;
        // With more than one thread the writers' work (JSON, compression, shards) runs on a thread of its own while
        // the workers synthesize the next batch; it still receives the documents in acceptance order.
        using var background = threads > 1 ? new BackgroundDatasetWriter(writer, capacity: batchSize) : null;
        IDatasetWriter output = (IDatasetWriter?)background ?? writer;
        while (next < candidates.Count && remaining.Any(r => r > 0))
        {
            ct.ThrowIfCancellationRequested();
            int batchStart = next;
            var batch = new List<int>(batchSize);
            for (; batch.Count < batchSize && next < candidates.Count; next++)
                if (remaining[candidates[next].SourceIndex] > 0) batch.Add(next);
            var results = outcomes?.Invoke(batch) ?? synthesizer.SynthesizeAll(candidates, batch, e, ct);
            // Accept strictly in candidate order; stop counting the moment every quota is met, so the counts
            // depend only on the candidates before that point.
            var outcomeOf = batch.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => results[x.i]);
            for (int c = batchStart; c < next && remaining.Any(r => r > 0); c++)
            {
                var candidate = candidates[c];
                state.NextCandidate = c + 1;
                if (remaining[candidate.SourceIndex] == 0)
                {
                    stats.CandidatesSkippedSourceFull++;
                    continue;
                }
                stats.CandidatesTried++;
                var outcome = outcomeOf[c] ?? throw new InvalidOperationException($"candidate {c}: no outcome (its block was skipped as not needed, yet a quota is still open)");
                if (outcome.Document is not { } doc)
                {
                    stats.Drop(outcome.DropReason!.Value);
                    continue;
                }
                output.Write($"nextlong-{stats.DocumentsWritten:D8}", doc);
                stats.Add(doc);
                remaining[candidate.SourceIndex]--;
                if (stats.DocumentsWritten % options.DocumentsPerPart == 0)
                {
                    state.Writer = output.Checkpoint();
                    checkpoint?.Invoke(state);
                }
            }
            next = state.NextCandidate;
            progress?.Invoke(stats.DocumentsWritten, stats.CandidatesTried);
        }
        background?.Drain();
        return stats;
    }

    private static SynthesisProgress StartState(Synthesizer synthesizer, IReadOnlyList<int> quotas, CancellationToken ct)
    {
        var stats = new SynthesisStats();
        var (e, chars, tokens) = synthesizer.MeasureEncodingRate(ct);
        stats.EncodingRateCharsPerToken = e;
        stats.EncodingRateSampleChars = chars;
        stats.EncodingRateSampleTokens = tokens;
        return new SynthesisProgress { Stats = stats, Remaining = [.. quotas] };
    }
}
