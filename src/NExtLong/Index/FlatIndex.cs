using System.Numerics.Tensors;

namespace NExtLong.Index;

/// <summary>
/// Exact inner-product search over every vector: the recall reference for approximate indexes. Queries are
/// processed in groups that share each scanned block of the database, groups spread over threads; each query's
/// result depends only on the data, so any thread count gives the same answer.
/// </summary>
public sealed class FlatIndex : IVectorIndex
{
    private const int QueryGroup = 8;
    private readonly VectorRows _rows;

    public FlatIndex(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        _rows = new ManagedVectorRows(dimension);
    }

    internal FlatIndex(VectorRows rows) => _rows = rows;

    public string Spec => "Flat";

    public int Dimension => _rows.Dimension;

    public long Count => _rows.Count;

    public bool IsTrained => true;

    internal VectorRows Rows => _rows;

    public void Train(ReadOnlySpan<float> sample) { }

    public void Add(ReadOnlySpan<float> vectors)
    {
        if (vectors.Length % Dimension != 0)
            throw new ArgumentException($"vector data length {vectors.Length} is not a multiple of the dimension {Dimension}", nameof(vectors));
        if (_rows is not ManagedVectorRows managed)
            throw new InvalidOperationException("this index was opened from a file and is read-only");
        managed.Append(vectors);
    }

    public void Search(ReadOnlySpan<float> queries, int k, Span<long> ids, Span<float> scores, SearchParameters? parameters = null)
    {
        int d = Dimension;
        if (queries.Length % d != 0) throw new ArgumentException($"query data length {queries.Length} is not a multiple of the dimension {d}", nameof(queries));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int nq = queries.Length / d;
        if (ids.Length < nq * k || scores.Length < nq * k) throw new ArgumentException($"result buffers must hold {nq}×{k} entries");
        if (nq == 0) return;

        // Spans cannot cross into the parallel loop; a pinned copy of the queries and pooled result arrays can.
        float[] q = queries.ToArray();
        var outIds = new long[nq * k];
        var outScores = new float[nq * k];
        var exclusions = parameters?.Exclusions;
        int groups = (nq + QueryGroup - 1) / QueryGroup;
        int threads = Math.Max(1, Math.Min(parameters?.MaxThreads ?? Environment.ProcessorCount, groups));
        Parallel.For(0, groups, new ParallelOptions { MaxDegreeOfParallelism = threads }, () => new GroupState(k),
            (g, _, state) =>
            {
                SearchGroup(q, g * QueryGroup, Math.Min(QueryGroup, nq - g * QueryGroup), k, exclusions, outIds, outScores, state);
                return state;
            },
            _ => { });
        outIds.CopyTo(ids);
        outScores.CopyTo(scores);
    }

    private sealed class GroupState
    {
        public readonly TopKCollector[] Collectors;
        public readonly float[] BlockScores = new float[VectorRows.BlockRows];

        public GroupState(int k)
        {
            Collectors = new TopKCollector[QueryGroup];
            for (int i = 0; i < QueryGroup; i++) Collectors[i] = new TopKCollector(k);
        }
    }

    private void SearchGroup(float[] queries, int firstQuery, int count, int k, SearchExclusions? exclusions,
        long[] outIds, float[] outScores, GroupState state)
    {
        int d = Dimension;
        long n = _rows.Count;
        for (int i = 0; i < count; i++) state.Collectors[i].Reset();
        for (long start = 0; start < n; start += VectorRows.BlockRows)
        {
            int rows = (int)Math.Min(VectorRows.BlockRows, n - start);
            var block = _rows.Block(start, rows);
            for (int i = 0; i < count; i++)
            {
                int query = firstQuery + i;
                var qv = queries.AsSpan(query * d, d);
                ref var top = ref state.Collectors[i];
                var s = state.BlockScores;
                for (int r = 0; r < rows; r++) s[r] = TensorPrimitives.Dot(qv, block.Slice(r * d, d));
                float threshold = top.Threshold;
                for (int r = 0; r < rows; r++)
                {
                    if (s[r] < threshold) continue;
                    long id = start + r;
                    if (!top.WouldEnter(s[r], id)) continue;
                    if (exclusions is not null && exclusions.IsExcluded(query, id)) continue;
                    top.Push(s[r], id);
                    threshold = top.Threshold;
                }
            }
        }
        for (int i = 0; i < count; i++)
        {
            int query = firstQuery + i;
            state.Collectors[i].Drain(outIds.AsSpan(query * k, k), outScores.AsSpan(query * k, k));
        }
    }

    public void Dispose() => _rows.Dispose();
}
