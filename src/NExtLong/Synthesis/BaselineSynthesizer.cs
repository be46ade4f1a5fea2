using NExtLong.Index;
using NExtLong.Tokenization;

namespace NExtLong.Synthesis;

/// <summary>
/// The document-level baselines of the paper's Table 1, made from the same corpus and index as NExtLong: each
/// candidate meta-document is the anchor, followed by documents chosen by the method, concatenated and cut to
/// exactly T tokens. Documents are rebuilt from their indexed chunks; document similarity is the cosine of the
/// mean chunk vectors. Every choice is seeded by the anchor, so output does not depend on scheduling.
/// </summary>
public sealed class BaselineSynthesizer
{
    /// <summary>ICLM's neighbourhood (sort.py walks knn[1:10]) and its near-duplicate filter.</summary>
    private const int IclmNeighbours = 9;
    private const double IclmDuplicateJaccard = 0.85;

    private readonly ChunkIndex _index;
    private readonly TargetTokenizer _tokenizer;
    private readonly SynthesisOptions _options;
    private readonly SynthesisMethod _method;
    private readonly DocumentVectors _vectors;
    private readonly Lazy<QuestGroups> _quest;

    public BaselineSynthesizer(ChunkIndex index, TargetTokenizer tokenizer, SynthesisOptions options, SynthesisMethod method)
    {
        if (method == SynthesisMethod.NExtLong) throw new ArgumentException("NExtLong is not a baseline", nameof(method));
        _index = index;
        _tokenizer = tokenizer;
        _options = options;
        _method = method;
        _vectors = new DocumentVectors(index);
        _quest = new Lazy<QuestGroups>(() => new QuestGroups(index, options.Seed));
    }

    public Synthesizer.Outcome Synthesize(MetaDocumentSampler.Candidate candidate, double charsPerToken)
    {
        if (!_index.TryFindDocument(candidate.Document.Id, out int anchor) || _index.Document(anchor).ChunkCount == 0)
            return new Synthesizer.Outcome(null, "anchor_not_indexed");
        var random = new Random(unchecked((int)(candidate.Key ^ (candidate.Key >> 32))));
        int duplicates = 0;
        var following = _method switch
        {
            SynthesisMethod.Standard => RandomDocuments(anchor, random),
            SynthesisMethod.Knn => Neighbours(anchor),
            SynthesisMethod.Iclm => GreedyPath(anchor, random, () => duplicates++),
            _ => KeywordGroup(anchor, random),
        };
        return Concatenate(anchor, following, charsPerToken, () => duplicates);
    }

    private Synthesizer.Outcome Concatenate(int anchor, IEnumerable<int> following, double charsPerToken, Func<int> duplicates)
    {
        using var text = new SpannedText(_options.Separator);
        var first = _index.Document(anchor);
        string anchorText = _index.DocumentText(anchor);
        text.Append(anchorText, new DocumentSpan(SpanRole.Document, 0, -1, first.Id, first.Source, 0, null, 0, 0, 0, 0, false));
        int count = 1;
        double wanted = _options.TargetTokens * charsPerToken * 1.15;
        using var next = following.GetEnumerator();
        for (int attempt = 1; attempt <= _options.MaxAttempts + 4; attempt++)
        {
            bool more = true;
            while (text.Chars < wanted && (more = next.MoveNext()))
            {
                var doc = _index.Document(next.Current);
                text.Append(_index.DocumentText(next.Current), new DocumentSpan(SpanRole.Document, 0, -1, doc.Id, doc.Source, count++, _vectors.Similarity(anchor, next.Current), 0, 0, 0, 0, false));
            }
            if (text.CutToTokens(_tokenizer, _options.TargetTokens) is { } cut)
                return new Synthesizer.Outcome(new SynthesizedDocument(cut.Text, _options.TargetTokens, first.Id, first.Source,
                    TextLength.Of(anchorText), 0, cut.Spans.Count - 1, attempt, duplicates(), cut.Spans) { TokenIds = cut.TokenIds }, null);
            if (!more) return new Synthesizer.Outcome(null, "short_corpus_exhausted");
            wanted *= 1.3;
        }
        return new Synthesizer.Outcome(null, "short_after_retries");
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
    private IEnumerable<int> Neighbours(int anchor)
    {
        for (int k = 64; ; k *= 4)
        {
            var (ids, _) = SearchDocuments(anchor, Math.Min(k, _index.DocumentCount));
            foreach (var id in ids.Skip(k == 64 ? 0 : k / 4).Where(id => id >= 0 && id != anchor)) yield return (int)id;
            if (k >= _index.DocumentCount) yield break;
        }
    }

    // ICLM: from the current document step to its most similar unvisited neighbour; when all are visited, jump to a
    // random unvisited document (sort.py takes an arbitrary one). A document nearly identical to the previous one
    // (character 3-gram Jaccard of the first 100 characters above 0.85) is dropped. Unlike ICLM's single global
    // path, each long document walks its own path, so documents can be synthesized in parallel.
    private IEnumerable<int> GreedyPath(int anchor, Random random, Action duplicate)
    {
        int n = _index.DocumentCount;
        var visited = new HashSet<int> { anchor };
        int current = anchor;
        string previousHead = Head(anchor);
        while (visited.Count < n)
        {
            var (ids, _) = SearchDocuments(current, Math.Min(IclmNeighbours + 1, n));
            int next = ids.Select(id => (int)id).FirstOrDefault(id => id >= 0 && !visited.Contains(id), -1);
            if (next < 0)
            {
                for (int tries = 0; tries < 20 * n && (next < 0 || visited.Contains(next)); tries++) next = random.Next(n);
                if (next < 0 || visited.Contains(next)) yield break;
            }
            visited.Add(next);
            current = next;
            string head = Head(next);
            if (Jaccard3(previousHead, head) > IclmDuplicateJaccard)
            {
                duplicate();
                continue;
            }
            previousHead = head;
            if (_index.Document(next).ChunkCount > 0) yield return next;
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

    private (long[] Ids, float[] Scores) SearchDocuments(int doc, int k)
    {
        var ids = new long[k];
        var scores = new float[k];
        _vectors.Index.Search(_vectors.Of(doc), k, ids, scores, new SearchParameters { MaxThreads = 1, Exclusions = new RangeAndSetExclusions(doc, doc + 1) });
        return (ids, scores);
    }

    private string Head(int doc)
    {
        var record = _index.Document(doc);
        if (record.ChunkCount == 0) return "";
        string text = _index.ChunkText(record.FirstChunk);
        return text[..Math.Min(100, text.Length)];
    }

    private static double Jaccard3(string a, string b)
    {
        static HashSet<string> Grams(string s) => Enumerable.Range(0, Math.Max(0, s.Length - 2)).Select(i => s.Substring(i, 3)).ToHashSet(StringComparer.Ordinal);
        var x = Grams(a);
        var y = Grams(b);
        if (x.Count == 0 && y.Count == 0) return a == b ? 1 : 0;
        int inter = x.Count(y.Contains);
        return (double)inter / (x.Count + y.Count - inter);
    }
}
