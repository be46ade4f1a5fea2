using System.Text.RegularExpressions;

namespace NExtLong.Bench;

/// <summary>
/// The lexical baseline for hard-negative mining: TF-IDF vectors (lowercased word tokens, sublinear tf 1 + ln tf,
/// idf ln((1 + N) / (1 + df)) + 1, L2-normalised) fitted on the corpus, scored exactly through an inverted index.
/// </summary>
internal sealed partial class TfIdfScorer
{
    private readonly (int Term, float Weight)[][] _documents;
    private readonly List<(int Doc, float Weight)>[] _postings;

    public TfIdfScorer(IReadOnlyList<string> texts)
    {
        var terms = new Dictionary<string, int>();
        var counts = new Dictionary<int, int>[texts.Count];
        var df = new List<int>();
        for (int i = 0; i < texts.Count; i++)
        {
            var tf = new Dictionary<int, int>();
            foreach (Match m in Word().Matches(texts[i].ToLowerInvariant()))
            {
                if (!terms.TryGetValue(m.Value, out int t))
                {
                    terms[m.Value] = t = terms.Count;
                    df.Add(0);
                }
                tf[t] = tf.GetValueOrDefault(t) + 1;
            }
            foreach (int t in tf.Keys) df[t]++;
            counts[i] = tf;
        }
        _postings = new List<(int, float)>[terms.Count];
        for (int t = 0; t < _postings.Length; t++) _postings[t] = [];
        _documents = new (int, float)[texts.Count][];
        for (int i = 0; i < texts.Count; i++)
        {
            var weights = counts[i].Select(kv => (Term: kv.Key, Weight: (float)((1 + Math.Log(kv.Value)) * (Math.Log((1.0 + texts.Count) / (1 + df[kv.Key])) + 1)))).ToArray();
            float norm = MathF.Sqrt(weights.Sum(w => w.Weight * w.Weight));
            for (int j = 0; j < weights.Length; j++) weights[j].Weight /= norm;
            _documents[i] = weights;
            foreach (var (term, weight) in weights) _postings[term].Add((i, weight));
        }
    }

    public (int[] Ids, float[] Scores) Nearest(int query, int count)
    {
        var scores = new float[_documents.Length];
        foreach (var (term, weight) in _documents[query])
            foreach (var (doc, w) in _postings[term])
                scores[doc] += weight * w;
        return EmbedderQuality.TopK(scores, count);
    }

    [GeneratedRegex(@"[\p{L}\p{N}_]+")]
    private static partial Regex Word();
}
