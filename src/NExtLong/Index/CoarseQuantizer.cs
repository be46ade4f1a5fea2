using System.Runtime.InteropServices;

namespace NExtLong.Index;

/// <summary>
/// The centroids of an IVF index, packed into panels once, and the search for each vector's nearest centroids by
/// inner product (ties to the lower centroid id). Used to assign vectors while training and adding, and to pick
/// the lists a query probes.
/// </summary>
internal sealed unsafe class CoarseQuantizer : IDisposable
{
    /// <summary>Rows scanned together against each block of centroids.</summary>
    private const int RowBatch = 256;

    private readonly float* _panels;
    private readonly int _blockRows;

    public CoarseQuantizer(ReadOnlySpan<float> centroids, int dimension)
    {
        Dimension = dimension;
        Count = centroids.Length / dimension;
        _panels = (float*)NativeMemory.AlignedAlloc((nuint)(PanelPacker.PackedLength(Count, dimension) * sizeof(float)), 64);
        fixed (float* c = centroids) PanelPacker.Pack(c, Count, dimension, _panels);
        // Centroid blocks of about 64 KiB stay in L2 while a batch of rows scans them.
        _blockRows = Math.Clamp(65536 / dimension / 32 * 32, 32, 4096);
    }

    public int Dimension { get; }

    public int Count { get; }

    /// <summary>
    /// For each of the <paramref name="n"/> row-major <paramref name="rows"/>, writes its <paramref name="nprobe"/>
    /// best centroids, best first, to lists[i·nprobe..] and their inner products to scores[i·nprobe..].
    /// Single-threaded; callers split rows across threads, each with its own <paramref name="state"/>.
    /// </summary>
    public void Search(float* rows, int n, int nprobe, int* lists, float* scores, State state)
    {
        int d = Dimension;
        float** group = stackalloc float*[PanelKernel.MaxRows];
        int* locals = stackalloc int[PanelKernel.MaxRows];
        var tops = state.Collectors(nprobe);
        Span<long> ids = stackalloc long[nprobe];
        Span<float> best = stackalloc float[nprobe];
        for (int first = 0; first < n; first += RowBatch)
        {
            int count = Math.Min(RowBatch, n - first);
            for (int i = 0; i < count; i++) tops[i].Reset();
            for (int block = 0; block < Count; block += _blockRows)
            {
                var run = new PanelRun((byte*)(_panels + (long)block * d), Math.Min(_blockRows, Count - block), PanelKernel.Lanes, block);
                for (int g = 0; g < count; g += PanelKernel.MaxRows)
                {
                    int m = Math.Min(PanelKernel.MaxRows, count - g);
                    for (int r = 0; r < m; r++)
                    {
                        group[r] = rows + (long)(first + g + r) * d;
                        locals[r] = g + r;
                    }
                    state.Scanner.Scan<Fp32PanelCodec>(group, null, locals, m, run, tops, 0, null);
                }
            }
            for (int i = 0; i < count; i++)
            {
                tops[i].Drain(ids, best);
                long at = (long)(first + i) * nprobe;
                for (int p = 0; p < nprobe; p++)
                {
                    lists[at + p] = (int)ids[p];
                    scores[at + p] = best[p];
                }
            }
        }
    }

    public void Dispose() => NativeMemory.AlignedFree(_panels);

    /// <summary>Per-thread scratch for <see cref="Search"/>.</summary>
    public sealed class State(int dimension) : IDisposable
    {
        private TopKCollector[] _collectors = [];

        public PanelScanner Scanner { get; } = new(dimension);

        public TopKCollector[] Collectors(int k)
        {
            if (_collectors.Length == 0 || _collectors[0].K != k)
            {
                _collectors = new TopKCollector[RowBatch];
                for (int i = 0; i < RowBatch; i++) _collectors[i] = new TopKCollector(k);
            }
            return _collectors;
        }

        public void Dispose() => Scanner.Dispose();
    }
}
