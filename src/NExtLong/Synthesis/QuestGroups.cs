using System.IO.Hashing;
using System.Text;
using NExtLong.Index;

namespace NExtLong.Synthesis;

/// <summary>
/// Quest's inverted index: every document gets one keyword, chosen at random (seeded by its id) among its RAKE
/// keywords scoring at least 3.0, and documents with the same keyword form a group. Documents without such a
/// keyword belong to no group.
/// </summary>
public sealed class QuestGroups
{
    private readonly string?[] _keyOf;
    private readonly List<string> _keys = [];
    private readonly Dictionary<string, int> _indexOf = new(StringComparer.Ordinal);
    private readonly List<List<int>> _members = [];

    public QuestGroups(ChunkIndex index, ulong seed)
    {
        _keyOf = new string?[index.DocumentCount];
        var keywords = new List<(string, double)>[index.DocumentCount];
        Parallel.For(0, index.DocumentCount, doc => keywords[doc] = RakeKeywordExtractor.Extract(index.DocumentText(doc)));
        for (int doc = 0; doc < index.DocumentCount; doc++)
        {
            if (keywords[doc].Count == 0) continue;
            ulong h = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(index.Document(doc).Id), (long)seed);
            string key = keywords[doc][(int)(h % (ulong)keywords[doc].Count)].Item1;
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
