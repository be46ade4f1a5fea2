using System.Runtime.Intrinsics;

namespace NExtLong.Index;

/// <summary>
/// Batched IVF search, list-major like FAISS's big-batch search: a chunk of queries picks its lists, the
/// (query, list) pairs are bucketed by list, and each list is scanned once for all its queries, eight at a time,
/// by the panel kernel (every query's nearest list in a round of its own first, where the chunk is dense enough,
/// so that its top-k bar rises early). Product-quantized lists are scanned query by query instead, as FAISS does for IVF-PQ: each
/// query's look-up table is built once and serves all its lists (<see cref="ProductCodeScanner"/>, or
/// <see cref="FastScanCodeScanner"/> for 4-bit codes). Exclusions are applied as candidates arrive, and a query left with fewer than k
/// candidates probes further lists, so exclusions never cost results. With RFlat the shortlist is re-ranked by
/// exact inner products. Every query's answer depends only on the data, whatever the chunking or thread count.
/// </summary>
internal static unsafe class IvfSearch
{
    /// <summary>Queries per work item at most: large enough that a list is scanned for many queries at once.</summary>
    private const int QueryChunk = 2048;

    public static void Run(IvfIndex index, ReadOnlySpan<float> queries, int k, Span<long> ids, Span<float> scores, SearchParameters? parameters)
    {
        int d = index.Dimension;
        if (queries.Length % d != 0) throw new ArgumentException($"query data length {queries.Length} is not a multiple of the dimension {d}", nameof(queries));
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int nq = queries.Length / d;
        if (ids.Length < nq * k || scores.Length < nq * k) throw new ArgumentException($"result buffers must hold {nq}×{k} entries");
        if (nq == 0) return;
        var spec = index.Parameters;
        if (spec.Refine && index.RefineVectors is null)
            throw new InvalidOperationException("this IVF index re-ranks with exact vectors (RFlat) but has none attached (a shard?)");
        var quantizer = index.Quantizer;
        int nprobe = Math.Clamp(parameters?.NProbe ?? spec.NProbe, 1, spec.Nlist);
        int factor = spec.Refine ? Math.Max(1, parameters?.RefineFactor ?? spec.RefineFactor) : 1;
        int shortlist = (int)Math.Min((long)k * factor, Math.Max(k, index.Count));
        int maxThreads = Math.Max(1, parameters?.MaxThreads ?? Environment.ProcessorCount);
        // As many chunks as threads (or a multiple), so that threads finish together; chunking never changes answers.
        int chunks = (nq + QueryChunk - 1) / QueryChunk;
        chunks = Math.Min(nq, (chunks + maxThreads - 1) / maxThreads * maxThreads);
        var q = GC.AllocateUninitializedArray<float>(queries.Length, pinned: true);
        queries.CopyTo(q);
        var outIds = new long[nq * k];
        var outScores = new float[nq * k];
        var exclusions = parameters?.Exclusions;
        var ct = parameters?.Cancellation ?? CancellationToken.None;
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(maxThreads, chunks), CancellationToken = ct },
            () => new ChunkState(index, nprobe, shortlist, k),
            (chunk, _, state) =>
            {
                int first = (int)((long)nq * chunk / chunks), count = (int)((long)nq * (chunk + 1) / chunks) - first;
                var work = new Chunk(index, q, first, count, nprobe, shortlist, k, exclusions, outIds, outScores, ct);
                switch (index.Codec.Storage)
                {
                    case IvfStorage.Flat: work.Search<Fp32PanelCodec>(state); break;
                    case IvfStorage.FP16: work.Search<Fp16PanelCodec>(state); break;
                    case IvfStorage.SQ8: work.Search<Sq8PanelCodec>(state); break;
                    default: work.SearchProduct(state); break;
                }
                return state;
            },
            state => state.Dispose());
        outIds.CopyTo(ids);
        outScores.CopyTo(scores);
    }

    /// <summary>Per-thread buffers, reused across chunks.</summary>
    private sealed class ChunkState(IvfIndex index, int nprobe, int shortlist, int k) : IDisposable
    {
        public readonly CoarseQuantizer.State Coarse = new(index.Dimension);
        public readonly PanelScanner Scanner = new(index.Dimension);
        public readonly IProductCodeScanner? Product = index.Codec.Product switch
        {
            null => null,
            { Bits: 4 } pq => new FastScanCodeScanner(pq),
            var pq => new ProductCodeScanner(pq),
        };
        public float[] Prepared = [];
        public float[] Constants = [];
        public int[] Probes = [];
        public float[] ProbeScores = [];
        public readonly int[] ListStarts = new int[index.Parameters.Nlist + 1];
        public readonly int[] ListNext = new int[index.Parameters.Nlist + 1];
        public int[] Entries = [];
        public TopKCollector[] Collectors = [];
        public TopKCollector Final = new(k);
        public readonly long[] ShortIds = new long[shortlist];
        public readonly float[] ShortScores = new float[shortlist];
        public readonly int[] MoreProbes = new int[index.Parameters.Nlist];
        public readonly float[] MoreScores = new float[index.Parameters.Nlist];

        public void Ensure(int count)
        {
            int d = index.Dimension;
            if (Constants.Length >= count) return;
            Prepared = GC.AllocateUninitializedArray<float>(count * d, pinned: true);
            Constants = GC.AllocateUninitializedArray<float>(count, pinned: true);
            Probes = GC.AllocateUninitializedArray<int>(count * nprobe, pinned: true);
            ProbeScores = GC.AllocateUninitializedArray<float>(count * nprobe, pinned: true);
            Entries = GC.AllocateUninitializedArray<int>(count * nprobe, pinned: true);
            Collectors = new TopKCollector[count];
            for (int i = 0; i < count; i++) Collectors[i] = new TopKCollector(shortlist);
        }

        public void Dispose()
        {
            Coarse.Dispose();
            Scanner.Dispose();
            Product?.Dispose();
        }
    }

    private readonly struct Chunk(IvfIndex index, float[] queries, int first, int count, int nprobe, int shortlist, int k,
        SearchExclusions? exclusions, long[] outIds, float[] outScores, CancellationToken ct)
    {
        /// <summary>Lists scanned between two looks at the cancellation token.</summary>
        private const int ListsPerCheck = 64;

        /// <summary>How much of the next list <see cref="SearchProduct"/> asks for ahead.</summary>
        private const int PrefetchBytes = 4096;

        public void Search<TCodec>(ChunkState state) where TCodec : struct, IPanelCodec
        {
            int d = index.Dimension, nlist = index.Parameters.Nlist;
            var codec = index.Codec;
            state.Ensure(count);
            var tops = state.Collectors;
            for (int i = 0; i < count; i++)
            {
                tops[i].Reset();
                state.Constants[i] = codec.PrepareQuery(queries.AsSpan((first + i) * d, d), state.Prepared.AsSpan(i * d, d));
            }
            fixed (float* q = queries)
            fixed (float* prepared = state.Prepared)
            fixed (float* constants = state.Constants)
            fixed (int* probes = state.Probes)
            fixed (float* probeScores = state.ProbeScores)
            fixed (int* entries = state.Entries)
            {
                index.Quantizer.Search(q + (long)first * d, count, nprobe, probes, probeScores, state.Coarse);
                float** rows = stackalloc float*[PanelKernel.MaxRows];
                float* bias = stackalloc float[PanelKernel.MaxRows];
                int* locals = stackalloc int[PanelKernel.MaxRows];
                bool residual = codec.ByResidual;
                // Two rounds where the chunk has many queries per list: every query's nearest list first, then the
                // rest. Scanned list-major, a query's lists otherwise come in list order, so its collector's bar would
                // rise slowly and far more candidates would enter (answers do not depend on the order). The first
                // round loads its lists once more, so it runs only when they serve a full tile of queries on average.
                int rounds = nprobe > 1 && count >= PanelKernel.MaxRows * nlist ? 2 : 1;
                for (int round = 0; round < rounds; round++)
                {
                    // Bucket this round's (query, list) pairs by list; within a list, queries stay in order.
                    var starts = state.ListStarts;
                    Array.Clear(starts);
                    for (int e = 0; e < count * nprobe; e++)
                        if (InRound(e, round, rounds)) starts[probes[e] + 1]++;
                    for (int l = 0; l < nlist; l++) starts[l + 1] += starts[l];
                    var next = state.ListNext;
                    Array.Copy(starts, next, nlist + 1);
                    for (int e = 0; e < count * nprobe; e++)
                        if (InRound(e, round, rounds)) entries[next[probes[e]]++] = e;
                    for (int l = 0; l < nlist; l++)
                    {
                        if (l % ListsPerCheck == 0) ct.ThrowIfCancellationRequested();
                        int from = starts[l], to = starts[l + 1];
                        if (from == to) continue;
                        var run = index.Lists.Run(l);
                        if (run.Count == 0) continue;
                        for (int g = from; g < to; g += PanelKernel.MaxRows)
                        {
                            int m = Math.Min(PanelKernel.MaxRows, to - g);
                            for (int r = 0; r < m; r++)
                            {
                                int e = entries[g + r], local = e / nprobe;
                                rows[r] = prepared + (long)local * d;
                                bias[r] = probeScores[e] + constants[local];
                                locals[r] = local;
                            }
                            state.Scanner.Scan<TCodec>(rows, residual ? bias : null, locals, m, run, tops, first, exclusions);
                        }
                    }
                }
                for (int i = 0; i < count; i++)
                    if (tops[i].Count < shortlist && nprobe < nlist) ProbeFurther<PanelScan<TCodec>>(i, q, prepared, constants, state);
            }
            for (int i = 0; i < count; i++) Finish(i, state);
        }

        /// <summary>Whether probe entry <paramref name="e"/> (query e / nprobe's (e mod nprobe)-th nearest list) is scanned in <paramref name="round"/>.</summary>
        private bool InRound(int e, int round, int rounds) => rounds == 1 || (e % nprobe == 0) == (round == 0);

        /// <summary>Product codes: query by query, its table built once for all its lists (and any further ones it needs).</summary>
        public void SearchProduct(ChunkState state)
        {
            int d = index.Dimension, nlist = index.Parameters.Nlist;
            state.Ensure(count);
            var tops = state.Collectors;
            var scanner = state.Product!;
            bool residual = index.Codec.ByResidual;
            fixed (float* q = queries)
            fixed (int* probes = state.Probes)
            fixed (float* probeScores = state.ProbeScores)
            {
                index.Quantizer.Search(q + (long)first * d, count, nprobe, probes, probeScores, state.Coarse);
                for (int i = 0; i < count; i++)
                {
                    ct.ThrowIfCancellationRequested();
                    tops[i].Reset();
                    scanner.Prepare(queries.AsSpan((first + i) * d, d));
                    var run = index.Lists.Run(probes[i * nprobe]);
                    for (int p = 0; p < nprobe; p++)
                    {
                        int e = i * nprobe + p;
                        // The next list's head is fetched while this one is scanned.
                        var next = p + 1 < nprobe ? index.Lists.Run(probes[e + 1]) : default;
                        next.Prefetch(0, Math.Min(PrefetchBytes, (long)next.Count * index.Codec.CodeBytes));
                        if (run.Count > 0) scanner.Scan(residual ? probeScores[e] : 0, i, run, tops, first, exclusions);
                        run = next;
                    }
                    scanner.Complete(i, tops);
                    if (tops[i].Count < shortlist && nprobe < nlist) ProbeFurther<ProductScan>(i, q, null, null, state);
                }
            }
            for (int i = 0; i < count; i++) Finish(i, state);
        }

        /// <summary>Exclusions or short lists left query i with too few candidates: probe the next-best lists, doubling, until it has enough or every list was scanned.</summary>
        private void ProbeFurther<TScan>(int i, float* q, float* prepared, float* constants, ChunkState state) where TScan : struct, IListScan
        {
            int d = index.Dimension, nlist = index.Parameters.Nlist;
            ref var top = ref state.Collectors[i];
            float* row = prepared == null ? null : prepared + (long)i * d;
            float constant = constants == null ? 0 : constants[i];
            int probed = nprobe;
            fixed (int* more = state.MoreProbes)
            fixed (float* moreScores = state.MoreScores)
            {
                while (top.Count < shortlist && probed < nlist)
                {
                    int wider = (int)Math.Min(nlist, 2L * probed);
                    index.Quantizer.Search(q + (long)(first + i) * d, 1, wider, more, moreScores, state.Coarse);
                    for (int p = probed; p < wider; p++)
                    {
                        if ((p - probed) % ListsPerCheck == 0) ct.ThrowIfCancellationRequested();
                        var run = index.Lists.Run(more[p]);
                        if (run.Count == 0) continue;
                        TScan.Scan(state, i, row, moreScores[p] + constant, index.Codec.ByResidual, run, first, exclusions);
                    }
                    probed = wider;
                }
            }
        }

        /// <summary>Writes query i's answer: its top k, or with RFlat the top k of its shortlist by exact inner product.</summary>
        private void Finish(int i, ChunkState state)
        {
            int query = first + i;
            var resultIds = outIds.AsSpan(query * k, k);
            var resultScores = outScores.AsSpan(query * k, k);
            ref var top = ref state.Collectors[i];
            var refine = index.RefineVectors;
            if (refine is null)
            {
                top.Drain(resultIds, resultScores);
                return;
            }
            top.Drain(state.ShortIds, state.ShortScores);
            ref var final = ref state.Final;
            final.Reset();
            int d = index.Dimension;
            var rows = refine.Rows;
            fixed (float* qv = queries.AsSpan(query * d, d))
            {
                foreach (long id in state.ShortIds)
                {
                    if (id < 0) break;
                    long blockStart = id / VectorRows.BlockRows * VectorRows.BlockRows;
                    var block = rows.Block(blockStart, (int)Math.Min(VectorRows.BlockRows, rows.Count - blockStart));
                    fixed (float* x = block.Slice((int)(id - blockStart) * d, d))
                    {
                        float score = ExactDot(qv, x, d);
                        if (final.WouldEnter(score, id)) final.Push(score, id);
                    }
                }
            }
            final.Drain(resultIds, resultScores);
        }
    }

    /// <summary>How <see cref="Chunk"/>'s wider probing scans one more list for one query: with the panel kernel or by table look-ups.</summary>
    private interface IListScan
    {
        /// <summary>Scans <paramref name="run"/> for chunk query <paramref name="i"/>, whose prepared row (panel codecs) is <paramref name="row"/>.</summary>
        static abstract void Scan(ChunkState state, int i, float* row, float bias, bool residual, in PanelRun run, int first, SearchExclusions? exclusions);
    }

    private readonly struct PanelScan<TCodec> : IListScan where TCodec : struct, IPanelCodec
    {
        public static void Scan(ChunkState state, int i, float* row, float bias, bool residual, in PanelRun run, int first, SearchExclusions? exclusions)
        {
            float** rows = stackalloc float*[1];
            int* locals = stackalloc int[1];
            rows[0] = row;
            locals[0] = i;
            state.Scanner.Scan<TCodec>(rows, residual ? &bias : null, locals, 1, run, state.Collectors, first, exclusions);
        }
    }

    /// <summary>Product codes; the query's table was built when its probes were scanned. Completed list by list, since the caller counts what the collector holds.</summary>
    private readonly struct ProductScan : IListScan
    {
        public static void Scan(ChunkState state, int i, float* row, float bias, bool residual, in PanelRun run, int first, SearchExclusions? exclusions)
        {
            state.Product!.Scan(residual ? bias : 0, i, run, state.Collectors, first, exclusions);
            state.Product.Complete(i, state.Collectors);
        }
    }

    /// <summary>
    /// Inner product for re-ranking: four 16-lane accumulators over 64-element steps, then 16-element steps, then
    /// a scalar tail, summed in a fixed order, so it is fast on one pair and the same on every call. It may differ
    /// from the panel kernel's dimension-order sum in the last bits.
    /// </summary>
    internal static float ExactDot(float* a, float* b, int d)
    {
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        int j = 0;
        for (; j + 64 <= d; j += 64)
        {
            s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + j), Vector512.Load(b + j), s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.Load(a + j + 16), Vector512.Load(b + j + 16), s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.Load(a + j + 32), Vector512.Load(b + j + 32), s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.Load(a + j + 48), Vector512.Load(b + j + 48), s3);
        }
        for (; j + 16 <= d; j += 16) s0 = Vector512.FusedMultiplyAdd(Vector512.Load(a + j), Vector512.Load(b + j), s0);
        float tail = 0;
        for (; j < d; j++) tail = MathF.FusedMultiplyAdd(a[j], b[j], tail);
        return Vector512.Sum((s0 + s1) + (s2 + s3)) + tail;
    }
}
