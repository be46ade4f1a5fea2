namespace NExtLong.Index;

/// <summary>
/// Keeps the k best (score, id) pairs seen, as a min-heap on "worse" (lower score, or equal score and higher
/// id), so ties are resolved by id and the result is the same in whatever order candidates arrive.
/// </summary>
internal struct TopKCollector
{
    private readonly float[] _scores;
    private readonly long[] _ids;
    private int _count;

    public TopKCollector(int k)
    {
        _scores = new float[k];
        _ids = new long[k];
    }

    public readonly int K => _scores.Length;

    public readonly int Count => _count;

    /// <summary>The score a new candidate must beat (or tie with a lower id) to enter; -∞ while not full.</summary>
    public readonly float Threshold => _count < _scores.Length ? float.NegativeInfinity : _scores[0];

    public void Reset() => _count = 0;

    public readonly bool WouldEnter(float score, long id)
        => _count < _scores.Length || score > _scores[0] || (score == _scores[0] && id < _ids[0]);

    public void Push(float score, long id)
    {
        if (_count < _scores.Length)
        {
            int i = _count++;
            while (i > 0)
            {
                int parent = (i - 1) >> 1;
                if (!Worse(score, id, _scores[parent], _ids[parent])) break;
                _scores[i] = _scores[parent];
                _ids[i] = _ids[parent];
                i = parent;
            }
            _scores[i] = score;
            _ids[i] = id;
            return;
        }
        SiftDownFromRoot(score, id);
    }

    /// <summary>Offers every entry of <paramref name="other"/> (left unchanged) to this collector.</summary>
    public void Merge(in TopKCollector other)
    {
        for (int i = 0; i < other._count; i++)
            if (WouldEnter(other._scores[i], other._ids[i])) Push(other._scores[i], other._ids[i]);
    }

    private void SiftDownFromRoot(float score, long id)
    {
        int n = _count, i = 0;
        while (true)
        {
            int child = 2 * i + 1;
            if (child >= n) break;
            if (child + 1 < n && Worse(_scores[child + 1], _ids[child + 1], _scores[child], _ids[child])) child++;
            if (!Worse(_scores[child], _ids[child], score, id)) break;
            _scores[i] = _scores[child];
            _ids[i] = _ids[child];
            i = child;
        }
        _scores[i] = score;
        _ids[i] = id;
    }

    private static bool Worse(float scoreA, long idA, float scoreB, long idB)
        => scoreA < scoreB || (scoreA == scoreB && idA > idB);

    /// <summary>Writes the results best first, padding with (-1, -∞), and empties the collector.</summary>
    public void Drain(Span<long> ids, Span<float> scores)
    {
        int n = _count;
        for (int i = n; i < ids.Length; i++)
        {
            ids[i] = -1;
            scores[i] = float.NegativeInfinity;
        }
        // Pop the worst repeatedly into the back, which leaves the slots sorted best first.
        while (_count > 0)
        {
            int last = --_count;
            ids[last] = _ids[0];
            scores[last] = _scores[0];
            if (last > 0) SiftDownFromRoot(_scores[last], _ids[last]);
        }
    }
}
