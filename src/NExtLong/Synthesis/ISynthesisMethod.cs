using NExtLong.Corpus;

namespace NExtLong.Synthesis;

/// <summary>
/// One way of making a long document from one meta-document: NExtLong (<see cref="NExtLongMethod"/>) or a baseline of
/// the paper's Table 1 (<see cref="BaselineSynthesizer"/>). An outcome depends only on the candidate and E.
/// </summary>
internal interface ISynthesisMethod
{
    Synthesizer.Outcome Synthesize(MetaDocumentSampler.Candidate candidate, double charsPerToken, CancellationToken ct);

    /// <summary>The outcomes of candidates[which[i]] on up to <paramref name="threads"/> threads, each the one <see cref="Synthesize"/> gives it.</summary>
    Synthesizer.Outcome[] SynthesizeAll(IReadOnlyList<MetaDocumentSampler.Candidate> candidates, IReadOnlyList<int> which, double charsPerToken, int threads, CancellationToken ct)
    {
        var results = new Synthesizer.Outcome[which.Count];
        Parallel.For(0, which.Count, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct },
            i => results[i] = Synthesize(candidates[which[i]], charsPerToken, ct));
        return results;
    }

    /// <summary>
    /// Whether <see cref="SynthesizeAll"/> shares work across its candidates (one search for a batch), so that a dataset
    /// loop should hand it batches; otherwise candidates are best synthesized one by one as threads come free.
    /// </summary>
    bool SharesWorkInBatches => false;

    /// <summary>Why the method cannot make a document from <paramref name="document"/> before it tries; null when it can try.</summary>
    string? WhyNotSynthesizable(CorpusDocument document) => null;
}
