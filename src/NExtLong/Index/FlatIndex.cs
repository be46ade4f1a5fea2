namespace NExtLong.Index;

/// <summary>
/// Exact inner-product search over every vector: the recall reference for approximate indexes. The stored rows are
/// scanned where they lie (<see cref="RowScanner"/>: the queries, not the database, are laid out for the kernel), so
/// a call costs one pass over the database whether it carries 1 query or 16, and nothing is re-packed per call; a
/// score is fused multiply-adds in dimension order (the same arithmetic as every other index here), and top-k ties
/// go to the lower id, so any thread count gives the same answer.
/// </summary>
internal sealed class FlatIndex : IVectorIndex
{
    /// <summary>
    /// Queries per work item: their panels (about 256 KiB) stay in L2 while every database row is broadcast against
    /// them, so each row is read from memory once per chunk; a multiple of the 16 lanes.
    /// </summary>
    private int QueryChunk => Math.Clamp(65536 / Dimension / PanelKernel.Lanes * PanelKernel.Lanes, PanelKernel.Lanes, 1024);

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

        // Spans cannot cross into the parallel loop; a pinned copy of the queries can.
        float[] q = GC.AllocateUninitializedArray<float>(queries.Length, pinned: true);
        queries.CopyTo(q);
        var exclusions = parameters?.Exclusions;
        var ct = parameters?.Cancellation ?? CancellationToken.None;
        int chunks = (nq + QueryChunk - 1) / QueryChunk;
        int maxThreads = Math.Max(1, parameters?.MaxThreads ?? Environment.ProcessorCount);
        // Few queries: split the database too, so that every thread has work; the parts' top-k are merged after.
        long blocks = (_rows.Count + VectorRows.BlockRows - 1) / VectorRows.BlockRows;
        int parts = chunks >= maxThreads ? 1 : (int)Math.Max(1, Math.Min((maxThreads + chunks - 1) / chunks, blocks));
        var collectors = new TopKCollector[chunks * parts][];
        Parallel.For(0, chunks * parts, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(maxThreads, chunks * parts), CancellationToken = ct }, item =>
        {
            int chunk = item / parts, part = item % parts;
            int first = chunk * QueryChunk, count = Math.Min(QueryChunk, nq - first);
            var tops = new TopKCollector[count];
            for (int i = 0; i < count; i++) tops[i] = new TopKCollector(k);
            ScanRange(q, first, count, blocks * part / parts * VectorRows.BlockRows,
                Math.Min(_rows.Count, blocks * (part + 1) / parts * VectorRows.BlockRows), tops, exclusions, ct);
            collectors[item] = tops;
        });
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            var tops = collectors[chunk * parts];
            for (int part = 1; part < parts; part++)
                for (int i = 0; i < tops.Length; i++) tops[i].Merge(collectors[chunk * parts + part][i]);
            for (int i = 0; i < tops.Length; i++)
            {
                int query = chunk * QueryChunk + i;
                tops[i].Drain(ids.Slice(query * k, k), scores.Slice(query * k, k));
            }
        }
    }

    private unsafe void ScanRange(float[] queries, int first, int count, long start, long end, TopKCollector[] tops, SearchExclusions? exclusions, CancellationToken ct)
    {
        int d = Dimension;
        fixed (float* q = queries)
        {
            using var scanner = new RowScanner(q + (long)first * d, count, d);
            for (long blockStart = start; blockStart < end; blockStart += VectorRows.BlockRows)
            {
                // One block is 4,096 vectors × the chunk's queries: milliseconds, so a check per block is free.
                ct.ThrowIfCancellationRequested();
                int blockRows = (int)Math.Min(VectorRows.BlockRows, end - blockStart);
                fixed (float* block = _rows.Block(blockStart, blockRows))
                    scanner.Scan(block, blockRows, blockStart, tops, first, exclusions);
            }
        }
    }

    public void Dispose() => _rows.Dispose();
}
