namespace NExtLong.Index;

/// <summary>
/// Exact inner-product search over every vector: the recall reference for approximate indexes. A call of few
/// queries (fewer than <see cref="RowScanQueries"/>, as hard-negative mining makes) scans the stored rows where they
/// lie (<see cref="RowScanner"/>: the queries, not the database, are laid out for the kernel), so it costs one pass
/// over the database whether it carries 1 query or 16 and re-packs nothing; a larger batch packs each database block
/// into panels once per chunk of queries (<see cref="PanelPacker"/>) and scans it by <see cref="PanelKernel"/>, which
/// the many queries amortise. Either way a score is fused multiply-adds in dimension order (the same arithmetic as
/// every other index here), and top-k ties go to the lower id, so any batch or thread count gives the same answer.
/// </summary>
internal sealed class FlatIndex : IVectorIndex
{
    /// <summary>Queries per work item: enough to amortise packing each database block, few enough to balance threads.</summary>
    private const int QueryChunk = 1024;

    /// <summary>
    /// Below this many queries in a work item the rows are scanned unpacked: packing a block costs about as much as
    /// scanning it for a few dozen queries (measured crossover ≈ 64 at d = 100: bench/mining/before-after.sh).
    /// </summary>
    internal const int RowScanQueries = 64;

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

    private void ScanRange(float[] queries, int first, int count, long start, long end, TopKCollector[] tops, SearchExclusions? exclusions, CancellationToken ct)
    {
        if (count < RowScanQueries) ScanRows(queries, first, count, start, end, tops, exclusions, ct);
        else ScanPacked(queries, first, count, start, end, tops, exclusions, ct);
    }

    private unsafe void ScanRows(float[] queries, int first, int count, long start, long end, TopKCollector[] tops, SearchExclusions? exclusions, CancellationToken ct)
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

    /// <summary>Rows packed into panels at a time: about 64 KiB, so a packed block stays in L2 while every query of a chunk scans it.</summary>
    private int PackRows => Math.Clamp(65536 / Dimension / 32 * 32, 32, VectorRows.BlockRows);

    private unsafe void ScanPacked(float[] queries, int first, int count, long start, long end, TopKCollector[] tops, SearchExclusions? exclusions, CancellationToken ct)
    {
        int d = Dimension, packRows = PackRows;
        using var scanner = new PanelScanner(d);
        var packed = GC.AllocateUninitializedArray<float>((int)PanelPacker.PackedLength(packRows, d), pinned: true);
        float** rows = stackalloc float*[PanelKernel.MaxRows];
        int* locals = stackalloc int[PanelKernel.MaxRows];
        fixed (float* q = queries)
        fixed (float* panels = packed)
        {
            for (long blockStart = start; blockStart < end; blockStart += VectorRows.BlockRows)
            {
                ct.ThrowIfCancellationRequested();
                int blockRows = (int)Math.Min(VectorRows.BlockRows, end - blockStart);
                fixed (float* block = _rows.Block(blockStart, blockRows))
                {
                    for (int sub = 0; sub < blockRows; sub += packRows)
                    {
                        int n = Math.Min(packRows, blockRows - sub);
                        PanelPacker.Pack(block + (long)sub * d, n, d, panels);
                        var run = new PanelRun((byte*)panels, n, PanelKernel.Lanes, blockStart + sub);
                        for (int g = 0; g < count; g += PanelKernel.MaxRows)
                        {
                            int m = Math.Min(PanelKernel.MaxRows, count - g);
                            for (int r = 0; r < m; r++)
                            {
                                rows[r] = q + (long)(first + g + r) * d;
                                locals[r] = g + r;
                            }
                            scanner.Scan<Fp32PanelCodec>(rows, null, locals, m, run, tops, first, exclusions);
                        }
                    }
                }
            }
        }
    }

    public void Dispose() => _rows.Dispose();
}
