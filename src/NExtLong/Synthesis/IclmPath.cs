using NExtLong.Index;

namespace NExtLong.Synthesis;

/// <summary>
/// In-Context Pretraining's document order (Shi et al. 2024, sort.py), computed once for the whole index: one path
/// through the document kNN graph that visits every document once — from the current document to its most similar
/// unvisited neighbour among its 9 nearest (knn[1:10]); when none is left, a restart at the next unvisited document
/// in seeded key order (sort.py pops an arbitrary one) — then ICLM's write-time filter (a document whose first 100
/// characters have character 3-gram Jaccard above 0.85 with the previous kept one is dropped), then the path cut into
/// consecutive windows of about T·E·1.25 characters, one long document each.
/// The kNN search runs on all threads into fixed slots and the walk is sequential, so the path depends only on the
/// index, the seed and E: every thread count and every rank of a distributed run computes the same one. The cost is
/// one document search per document (exact, over the document vectors) on every rank, paid before the first ICLM
/// document; the walk itself is linear.
/// </summary>
internal sealed class IclmPath
{
    private const int Neighbours = 9;
    private const double DuplicateJaccard = 0.85;
    /// <summary>Characters per window over T·E: enough that the exact-T cut rarely runs short, the rest of the window unused.</summary>
    private const double WindowMargin = 1.25;

    private readonly int[] _path;
    private readonly int[] _windowStart;
    private readonly int[] _windowOf;
    private readonly int[] _duplicatesIn;
    private readonly int[] _representative;

    public IclmPath(ChunkIndex index, DocumentVectors vectors, ulong seed, int threads, int targetTokens, double charsPerToken, string separator)
    {
        double windowChars = targetTokens * charsPerToken * WindowMargin;
        int n = index.DocumentCount;
        var keys = new ulong[n];
        var neighbours = new int[(long)n * Neighbours];
        Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, threads) }, () => (new long[Neighbours], new float[Neighbours]), (doc, _, buffers) =>
        {
            keys[doc] = MetaDocumentSampler.KeyOf(seed, index.Document(doc).Id);
            var (ids, scores) = buffers;
            ids.AsSpan().Fill(-1);
            int k = Math.Min(Neighbours, n - 1);
            if (k > 0)
                vectors.Index.Search(vectors.Of(doc), k, ids.AsSpan(0, k), scores.AsSpan(0, k), new SearchParameters { MaxThreads = 1, Exclusions = new RangeAndSetExclusions(doc, doc + 1) });
            for (int j = 0; j < Neighbours; j++) neighbours[(long)doc * Neighbours + j] = (int)ids[j];
            return buffers;
        }, _ => { });

        // The walk: restarts in key order (ties by ordinal), documents without chunks never visited.
        var restarts = Enumerable.Range(0, n).Where(d => index.Document(d).ChunkCount > 0).ToArray();
        Array.Sort(restarts, (a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : a.CompareTo(b));
        var visited = new bool[n];
        var walk = new List<int>(restarts.Length);
        foreach (int start in restarts)
        {
            for (int current = start; current >= 0 && !visited[current];)
            {
                visited[current] = true;
                walk.Add(current);
                int next = -1;
                for (int j = 0; j < Neighbours && next < 0; j++)
                {
                    int candidate = neighbours[(long)current * Neighbours + j];
                    if (candidate >= 0 && !visited[candidate] && index.Document(candidate).ChunkCount > 0) next = candidate;
                }
                current = next;
            }
        }

        // The filter, then the windows: each holds consecutive kept documents until it has windowChars.
        var path = new List<int>(walk.Count);
        var windowStart = new List<int> { 0 };
        var duplicatesIn = new List<int> { 0 };
        _windowOf = new int[n];
        Array.Fill(_windowOf, -1);
        string previousHead = "";
        double chars = 0;
        foreach (int doc in walk)
        {
            string head = Head(index, doc);
            if (path.Count > 0 && Jaccard3(previousHead, head) > DuplicateJaccard)
            {
                duplicatesIn[^1]++;
                continue;
            }
            previousHead = head;
            if (chars >= windowChars)
            {
                windowStart.Add(path.Count);
                duplicatesIn.Add(0);
                chars = 0;
            }
            _windowOf[doc] = windowStart.Count - 1;
            path.Add(doc);
            var record = index.Document(doc);
            for (long c = record.FirstChunk; c < record.FirstChunk + record.ChunkCount; c++) chars += index.Chunk(c).CharLength + 1;
            chars += separator.Length;
        }
        _path = [.. path];
        _windowStart = [.. windowStart, path.Count];
        _duplicatesIn = [.. duplicatesIn];
        // Each window is made once, for its member with the smallest key: the first of them synthesis tries.
        _representative = new int[windowStart.Count];
        for (int w = 0; w < windowStart.Count; w++)
        {
            int best = -1;
            for (int i = _windowStart[w]; i < _windowStart[w + 1]; i++)
                if (best < 0 || keys[_path[i]] < keys[best] || (keys[_path[i]] == keys[best] && _path[i] < best)) best = _path[i];
            _representative[w] = best;
        }
        Documents = path.Count;
        DuplicatesDropped = _duplicatesIn.Sum();
    }

    /// <summary>Documents on the path after the near-duplicate filter.</summary>
    public int Documents { get; }

    public int DuplicatesDropped { get; }

    /// <summary>
    /// The window <paramref name="doc"/> lies in, when it is the document that window is made for: its documents in
    /// path order and how many the filter dropped among them; null when the document is off the path (no chunks, or
    /// filtered) or another member of its window makes it.
    /// </summary>
    public (ArraySegment<int> Documents, int Duplicates)? WindowFor(int doc, out DropReason? whyNot)
    {
        int w = _windowOf[doc];
        whyNot = w < 0 ? DropReason.IclmNotOnPath : _representative[w] != doc ? DropReason.IclmWindowTaken : null;
        if (whyNot is not null) return null;
        return (new ArraySegment<int>(_path, _windowStart[w], _windowStart[w + 1] - _windowStart[w]), _duplicatesIn[w]);
    }

    private static string Head(ChunkIndex index, int doc)
    {
        var record = index.Document(doc);
        string text = index.ChunkText(record.FirstChunk);
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
