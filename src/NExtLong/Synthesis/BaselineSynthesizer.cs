using NExtLong.Index;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// The document-level baselines of the paper's Table 1, made from the same corpus and index as NExtLong: each
/// candidate meta-document is the anchor, followed by documents chosen by the method, concatenated and cut to
/// exactly T tokens. Documents are rebuilt from their indexed chunks; document similarity is the cosine of the
/// mean chunk vectors. Every choice is seeded by the anchor, so output does not depend on scheduling; ICLM instead
/// cuts one global path (<see cref="IclmPath"/>), computed once and the same for every thread and rank.
/// </summary>
internal sealed class BaselineSynthesizer : ISynthesisMethod
{
    private readonly ChunkIndex _index;
    private readonly TargetTokenizer _tokenizer;
    private readonly SynthesisOptions _options;
    private readonly SynthesisMethod _method;
    private readonly DocumentVectors _vectors;
    private readonly Lazy<QuestGroups> _quest;
    private readonly Lock _iclmLock = new();
    private (double CharsPerToken, IclmPath Path)? _iclm;
    private readonly int _threads;

    /// <param name="index">The index the anchors and their companion documents come from; its vectors give document similarity.</param>
    /// <param name="tokenizer">The target tokenizer the documents are cut to exactly T tokens in.</param>
    /// <param name="options">The synthesis options (T, seed, and the baselines' own settings).</param>
    /// <param name="method">The baseline: standard, knn, iclm or quest; not NExtLong.</param>
    /// <param name="threads">Threads for the one-off work (ICLM's path); the documents do not depend on it.</param>
    /// <param name="ct">Stops the one-off work for all anchors (QUEST's keyword extraction over the corpus).</param>
    /// <exception cref="ArgumentException"><paramref name="method"/> is NExtLong.</exception>
    public BaselineSynthesizer(ChunkIndex index, TargetTokenizer tokenizer, SynthesisOptions options, SynthesisMethod method, int threads, CancellationToken ct = default)
    {
        if (method == SynthesisMethod.NExtLong) throw new ArgumentException("NExtLong is not a baseline", nameof(method));
        _index = index;
        _tokenizer = tokenizer;
        _options = options;
        _method = method;
        _threads = threads;
        _vectors = new DocumentVectors(index, ct);
        _quest = new Lazy<QuestGroups>(() => new QuestGroups(index, options.Seed, ct));
    }

    public Synthesizer.Outcome Synthesize(MetaDocumentSampler.Candidate candidate, double charsPerToken, CancellationToken ct = default)
    {
        if (!_index.TryFindDocument(candidate.Document.Id, out int anchor) || _index.Document(anchor).ChunkCount == 0)
            return new Synthesizer.Outcome(null, DropReason.AnchorNotIndexed);
        if (_method == SynthesisMethod.Iclm)
        {
            // The anchor's window of the global path, made once: for the window's member that synthesis tries first.
            if (IclmFor(charsPerToken).WindowFor(anchor, out DropReason? whyNot) is not { } window) return new Synthesizer.Outcome(null, whyNot);
            return Concatenate(window.Documents[0], window.Documents.Skip(1), charsPerToken, () => window.Duplicates, ct);
        }
        var random = new Random(unchecked((int)(candidate.Key ^ (candidate.Key >> 32))));
        var following = _method switch
        {
            SynthesisMethod.Standard => RandomDocuments(anchor, random),
            SynthesisMethod.Knn => Neighbours(anchor, ct),
            _ => KeywordGroup(anchor, random),
        };
        return Concatenate(anchor, following, charsPerToken, () => 0, ct);
    }

    // The path is built on first use; its windows are sized by E, which is the same for every candidate of a run.
    private IclmPath IclmFor(double charsPerToken)
    {
        lock (_iclmLock)
        {
            if (_iclm is not { } built || built.CharsPerToken != charsPerToken)
                _iclm = built = (charsPerToken, new IclmPath(_index, _vectors, _options.Seed, _threads, _options.TargetTokens, charsPerToken, _options.Separator));
            return built.Path;
        }
    }

    private Synthesizer.Outcome Concatenate(int anchor, IEnumerable<int> following, double charsPerToken, Func<int> duplicates, CancellationToken ct)
    {
        using var text = new SpannedText(_options.Separator);
        var first = _index.Document(anchor);
        string anchorText = _index.DocumentText(anchor);
        text.Append(anchorText, new DocumentSpan { Role = SpanRole.Document, MetaChunk = 0, DocumentId = first.Id, Source = first.Source });
        int count = 1;
        double wanted = _options.TargetTokens * charsPerToken * 1.15;
        using var next = following.GetEnumerator();
        for (int attempt = 1; attempt <= _options.MaxAttempts + 4; attempt++)
        {
            bool more = true;
            ct.ThrowIfCancellationRequested();
            while (text.Chars < wanted && (more = next.MoveNext()))
            {
                var doc = _index.Document(next.Current);
                text.Append(_index.DocumentText(next.Current), new DocumentSpan { Role = SpanRole.Document, MetaChunk = 0, DocumentId = doc.Id, Source = doc.Source, Rank = count++, Similarity = _vectors.Similarity(anchor, next.Current) });
            }
            if (text.CutToTokens(_tokenizer, _options.TargetTokens) is { } cut)
                return new Synthesizer.Outcome(new SynthesizedDocument(cut.Text, _options.TargetTokens, first.Id, first.Source,
                    TextLength.Of(anchorText), 0, cut.Spans.Count - 1, attempt, duplicates(), default, cut.Spans) { TokenIds = cut.TokenIds }, null);
            if (!more) return new Synthesizer.Outcome(null, DropReason.ShortCorpusExhausted);
            wanted *= 1.3;
        }
        return new Synthesizer.Outcome(null, DropReason.ShortAfterRetries);
    }

    // Standard: documents drawn uniformly at random, without repetition within one long document.
    private IEnumerable<int> RandomDocuments(int anchor, Random random)
    {
        int n = _index.DocumentCount;
        var seen = new HashSet<int> { anchor };
        for (int draws = 0; seen.Count < n && draws < 20 * n; draws++)
        {
            int doc = random.Next(n);
            if (seen.Add(doc) && _index.Document(doc).ChunkCount > 0) yield return doc;
        }
    }

    // KNN: the anchor's nearest documents, most similar first.
    private IEnumerable<int> Neighbours(int anchor, CancellationToken ct)
    {
        for (int k = 64; ; k *= 4)
        {
            var (ids, _) = SearchDocuments(anchor, Math.Min(k, _index.DocumentCount), ct);
            foreach (var id in ids.Skip(k == 64 ? 0 : k / 4).Where(id => id >= 0 && id != anchor)) yield return (int)id;
            if (k >= _index.DocumentCount) yield break;
        }
    }

    // Quest: the documents sharing the anchor's keyword, in random order; then other keyword groups at random.
    private IEnumerable<int> KeywordGroup(int anchor, Random random)
    {
        var groups = _quest.Value;
        var seen = new HashSet<int> { anchor };
        var order = new List<int>();
        if (groups.KeyOf(anchor) is { } key) order.Add(groups.IndexOf(key));
        var others = Enumerable.Range(0, groups.Count).ToArray();
        random.Shuffle(others);
        order.AddRange(others);
        foreach (int g in order)
        {
            var members = groups.Members(g).ToArray();
            random.Shuffle(members);
            foreach (int doc in members)
                if (seen.Add(doc)) yield return doc;
        }
    }

    private (long[] Ids, float[] Scores) SearchDocuments(int doc, int k, CancellationToken ct)
    {
        var ids = new long[k];
        var scores = new float[k];
        _vectors.Index.Search(_vectors.Of(doc), k, ids, scores, new SearchParameters { MaxThreads = 1, Exclusions = new RangeAndSetExclusions(doc, doc + 1), Cancellation = ct });
        return (ids, scores);
    }
}
