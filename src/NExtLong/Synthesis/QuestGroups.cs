using System.IO.Hashing;
using System.Text;
using NExtLong.Index;

namespace NExtLong.Synthesis;

/// <summary>
/// Quest's inverted index: every document gets one keyword, chosen at random (seeded by its id) among its RAKE
/// keywords scoring at least 3.0, and documents with the same keyword form a group. Quest extracts keywords from
/// short predicted queries, which recur across documents; RAKE over a whole document mostly yields phrases no
/// other document has (on the sample corpus 1,915 of 1,926 groups were single documents). Without a doc2query
/// model we therefore draw the key with probability proportional to how many other documents share it (1,020
/// groups, the largest 124 documents, on the sample), and uniformly only when it shares none. Documents without a
/// keyword belong to no group.
/// </summary>
internal sealed class QuestGroups
{
    /// <summary>RAKE keywords considered per document.</summary>
    private const int KeywordsPerDocument = 200;

    private readonly string?[] _keyOf;
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, int> _indexOf = new(StringComparer.Ordinal);
    private readonly List<List<int>> _members = [];

    public QuestGroups(ChunkIndex index, ulong seed, CancellationToken ct = default)
    {
        _keyOf = new string?[index.DocumentCount];
        var keywords = new List<(string Phrase, double Score)>[index.DocumentCount];
        Parallel.For(0, index.DocumentCount, new ParallelOptions { CancellationToken = ct }, doc => keywords[doc] = RakeKeywordExtractor.Extract(index.DocumentText(doc), max: KeywordsPerDocument));
        var documentFrequency = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var list in keywords)
            foreach (var (phrase, _) in list) documentFrequency[phrase] = documentFrequency.GetValueOrDefault(phrase) + 1;
        for (int doc = 0; doc < index.DocumentCount; doc++)
        {
            if (keywords[doc].Count == 0) continue;
            // A draw weighted by how many documents share the keyword, as recurring query keywords would be.
            ulong h = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(index.Document(doc).Id), (long)seed);
            long total = keywords[doc].Sum(k => (long)(documentFrequency[k.Phrase] - 1));
            string key = keywords[doc][(int)(h % (ulong)keywords[doc].Count)].Phrase;
            if (total > 0)
            {
                long pick = (long)(h % (ulong)total);
                foreach (var (phrase, _) in keywords[doc])
                {
                    pick -= documentFrequency[phrase] - 1;
                    if (pick < 0) { key = phrase; break; }
                }
            }
            _keyOf[doc] = key;
            if (!_indexOf.TryGetValue(key, out int g))
            {
                _indexOf[key] = g = _keys.Count;
                _keys.Add(key);
                _members.Add([]);
            }
            _members[g].Add(doc);
        }
    }

    public int Count => _keys.Count;

    public string? KeyOf(int doc) => _keyOf[doc];

    public int IndexOf(string key) => _indexOf[key];

    public IReadOnlyList<int> Members(int group) => _members[group];
}
