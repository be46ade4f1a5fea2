namespace NExtLong.Index;

/// <summary>
/// Inverted-file index: k-means centroids partition the vectors into lists, a query scans only the lists of its
/// nprobe nearest centroids (<see cref="IvfSearch"/>). Lists store vectors as float32, half, 8-bit or product-quantized
/// codes (<see cref="IvfCodec"/>), optionally re-ranked with the exact vectors (RFlat). Built like FAISS's offline IVF:
/// train once, then add in shards that each start at a global id (<see cref="CreateShard"/>), merged by
/// <see cref="IvfIndexFile.Merge"/>. Training is seeded and every step is ordered, so the same inputs give the
/// same index (and files) for any thread count.
/// </summary>
internal sealed class IvfIndex : IVectorIndex
{
    /// <summary>Seed of the k-means initialisation and of the training subsample.</summary>
    public const ulong DefaultSeed = 0x4E45_584C_4F4E_47UL;

    /// <summary>FAISS's cap on k-means points per list; a larger sample is subsampled.</summary>
    public const int MaxTrainingPointsPerList = 256;

    /// <summary>Vectors assigned and encoded per step of <see cref="Add"/>.</summary>
    private const int AddBatch = 65536;

    private float[] _centroids;
    private CoarseQuantizer? _quantizer;
    private IvfLists _lists;
    private readonly FlatIndex? _refine;
    private long _count;

    /// <summary>An empty, untrained index; <paramref name="spec"/> must name nlist.</summary>
    public IvfIndex(int dimension, IvfSpec spec, int threads = 0, ulong seed = DefaultSeed, int iterations = KMeans.DefaultIterations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (spec.Nlist < 1) throw new ArgumentException($"index spec '{spec}' leaves nlist open; resolve it for the number of vectors first (IvfSpec.Resolve)", nameof(spec));
        Dimension = dimension;
        Parameters = spec.NProbe > 0 ? spec : spec with { NProbe = IvfSpec.DefaultNProbe(spec.Nlist) };
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        Seed = seed;
        Iterations = iterations;
        _centroids = [];
        Codec = new IvfCodec(spec.Storage, dimension, subQuantizers: spec.SubQuantizers, codeBits: spec.CodeBits, residual: spec.Residual);
        _lists = new ManagedIvfLists(0, Codec.ElementBytes, Codec.CodeWidth);
        _refine = spec.Refine ? new FlatIndex(dimension) : null;
    }

    internal IvfIndex(int dimension, IvfSpec spec, float[] centroids, IvfCodec codec, IvfLists lists, long firstId, long count, FlatIndex? refine)
    {
        Dimension = dimension;
        Parameters = spec;
        Threads = Environment.ProcessorCount;
        Seed = DefaultSeed;
        Iterations = KMeans.DefaultIterations;
        _centroids = centroids;
        _quantizer = new CoarseQuantizer(centroids, dimension);
        Codec = codec;
        _lists = lists;
        FirstId = firstId;
        _count = count;
        _refine = refine;
    }

    /// <summary>The resolved spec: nlist, storage, refinement and the default nprobe and kfactor.</summary>
    public IvfSpec Parameters { get; }

    public string Spec => Parameters.ToString();

    public int Dimension { get; }

    public long Count => _count;

    /// <summary>Id of the first vector: 0, or a shard's offset in the global id space.</summary>
    public long FirstId { get; }

    public bool IsTrained => _quantizer is not null;

    /// <summary>Threads used by <see cref="Train"/> and <see cref="Add"/> (the result does not depend on it).</summary>
    public int Threads { get; init; }

    /// <summary>Stops <see cref="Train"/> (k-means) and <see cref="Add"/> soon after cancellation; shards inherit it.</summary>
    public CancellationToken Cancellation { get; init; }

    public ulong Seed { get; }

    public int Iterations { get; }

    internal IvfCodec Codec { get; }

    internal ReadOnlySpan<float> Centroids => _centroids;

    internal CoarseQuantizer Quantizer => _quantizer ?? throw new InvalidOperationException("the IVF index is not trained");

    internal IvfLists Lists => _lists;

    /// <summary>The exact vectors RFlat re-ranks with (null without RFlat, and in shards).</summary>
    internal FlatIndex? RefineVectors => _refine;

    /// <summary>
    /// Runs k-means on <paramref name="sample"/> (row-major; subsampled with the seed to at most
    /// <see cref="MaxTrainingPointsPerList"/> per list), then fits the storage codec to the residuals of the same
    /// points (PQ: of up to <see cref="ProductQuantizer.MaxTrainingPoints"/> of the sample, whatever nlist is).
    /// </summary>
    public void Train(ReadOnlySpan<float> sample)
    {
        if (IsTrained) throw new InvalidOperationException("the IVF index is already trained");
        int d = Dimension, nlist = Parameters.Nlist;
        if (sample.Length % d != 0) throw new ArgumentException($"sample length {sample.Length} is not a multiple of the dimension {d}", nameof(sample));
        int n = sample.Length / d;
        var points = Subsample(sample, d, (int)Math.Min(n, (long)MaxTrainingPointsPerList * nlist), Seed);
        _centroids = KMeans.Train(points, d, nlist, Iterations, Seed, Threads, Cancellation);
        if (Codec.ByResidual)
        {
            var residuals = Codec.Product is null ? points : Subsample(sample, d, Math.Min(n, ProductQuantizer.MaxTrainingPoints), Seed);
            int count = residuals.Length / d;
            var assignment = new int[count];
            KMeans.Assign(residuals, count, d, _centroids, assignment, new float[count], Threads, Cancellation);
            for (int i = 0; i < count; i++)
            {
                var row = residuals.AsSpan(i * d, d);
                var centroid = _centroids.AsSpan(assignment[i] * d, d);
                for (int j = 0; j < d; j++) row[j] -= centroid[j];
            }
            Codec.Train(residuals, Seed, Threads, Cancellation);
        }
        else if (Codec.Product is not null)
            Codec.Train(Subsample(sample, d, Math.Min(n, ProductQuantizer.MaxTrainingPoints), Seed), Seed, Threads, Cancellation);
        _quantizer = new CoarseQuantizer(_centroids, d);
        _lists = new ManagedIvfLists(nlist, Codec.ElementBytes, Codec.CodeWidth);
    }

    /// <summary>A copy of <paramref name="keep"/> rows of <paramref name="sample"/>: all of them, or a seeded choice in ascending order.</summary>
    private static float[] Subsample(ReadOnlySpan<float> sample, int d, int keep, ulong seed)
    {
        int n = sample.Length / d;
        if (keep >= n) return sample.ToArray();
        var picks = SeededSubset(n, keep, seed);
        var points = new float[(long)keep * d];
        for (int i = 0; i < keep; i++) sample.Slice(picks[i] * d, d).CopyTo(points.AsSpan(i * d, d));
        return points;
    }

    /// <summary>Appends row-major vectors; their ids continue from <see cref="FirstId"/> + <see cref="Count"/>.</summary>
    public unsafe void Add(ReadOnlySpan<float> vectors)
    {
        int d = Dimension;
        if (vectors.Length % d != 0) throw new ArgumentException($"vector data length {vectors.Length} is not a multiple of the dimension {d}", nameof(vectors));
        if (!IsTrained) throw new InvalidOperationException("train the IVF index before adding vectors");
        if (_lists is not ManagedIvfLists lists) throw new InvalidOperationException("this index was opened from a file and is read-only");
        int codeBytes = Codec.CodeBytes;
        var assignment = new int[(int)Math.Min(vectors.Length / d, AddBatch)];
        var scores = new float[assignment.Length];
        // Flat lists store the vectors themselves: they are appended from the batch, with no encoded copy.
        bool flat = Codec.Storage == IvfStorage.Flat;
        var codes = flat ? [] : new byte[(long)assignment.Length * codeBytes];
        var listStarts = new int[Parameters.Nlist + 1];
        var listFill = new int[Parameters.Nlist];
        var order = new int[assignment.Length];
        // The caller's vectors are read where they lie (pinned), never copied into a batch buffer: a copy of each
        // batch was a serial pass over it, ≈ 10 % of adding 200k vectors at d = 1,024 while the other cores waited.
        fixed (float* all = vectors)
        for (long done = 0, total = vectors.Length / d; done < total;)
        {
            int n = (int)Math.Min(assignment.Length, total - done);
            var batch = (nint)(all + done * d);
            KMeans.Assign(Quantizer, (float*)batch, n, assignment, scores, Threads, Cancellation);
            if (!flat)
                Parallel.For(0, n, new ParallelOptions { MaxDegreeOfParallelism = Threads, CancellationToken = Cancellation }, i =>
                    Codec.Encode(new ReadOnlySpan<float>((float*)batch + (long)i * d, d), _centroids.AsSpan(assignment[i] * d, d), codes.AsSpan(i * codeBytes, codeBytes)));
            // Appending list by list keeps each list's open panel in cache (interleaved writes to a thousand lists
            // would miss on almost every element), and lists are apart, so they fill side by side; within a list the
            // order, and so the result, is unchanged.
            long firstId = FirstId + _count;
            Array.Clear(listStarts);
            for (int i = 0; i < n; i++) listStarts[assignment[i] + 1]++;
            for (int l = 0; l < Parameters.Nlist; l++) listStarts[l + 1] += listStarts[l];
            Array.Copy(listStarts, listFill, Parameters.Nlist);
            for (int i = 0; i < n; i++) order[listFill[assignment[i]]++] = i;
            Parallel.For(0, Parameters.Nlist, new ParallelOptions { MaxDegreeOfParallelism = Threads, CancellationToken = Cancellation }, l =>
            {
                lists.Reserve(l, listStarts[l + 1] - listStarts[l]);
                for (int j = listStarts[l]; j < listStarts[l + 1]; j++)
                    lists.Append(l, flat ? new ReadOnlySpan<byte>((float*)batch + (long)order[j] * d, d * sizeof(float))
                        : codes.AsSpan(order[j] * codeBytes, codeBytes), firstId + order[j]);
            });
            _refine?.Add(new ReadOnlySpan<float>((float*)batch, n * d));
            _count += n;
            done += n;
        }
    }

    /// <summary>An empty index trained like this one whose vectors get ids from <paramref name="firstId"/>: one shard of a distributed build. Shards keep no exact vectors; the merged index re-ranks from the shared .flat file.</summary>
    public IvfIndex CreateShard(long firstId)
    {
        if (!IsTrained) throw new InvalidOperationException("train the IVF index before creating shards");
        ArgumentOutOfRangeException.ThrowIfNegative(firstId);
        return new IvfIndex(Dimension, Parameters, _centroids, Codec.Copy(),
            new ManagedIvfLists(Parameters.Nlist, Codec.ElementBytes, Codec.CodeWidth), firstId, 0, null) { Threads = Threads, Cancellation = Cancellation };
    }

    public void Search(ReadOnlySpan<float> queries, int k, Span<long> ids, Span<float> scores, SearchParameters? parameters = null)
        => IvfSearch.Run(this, queries, k, ids, scores, parameters);

    /// <summary>A seeded choice of <paramref name="count"/> distinct indexes below <paramref name="n"/>, ascending.</summary>
    internal static int[] SeededSubset(int n, int count, ulong seed)
    {
        var rng = new Random(unchecked((int)(seed * 31 + 7)));
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = 0; i < count; i++)
        {
            int pick = i + rng.Next(n - i);
            (order[i], order[pick]) = (order[pick], order[i]);
        }
        var picks = order.AsSpan(0, count).ToArray();
        Array.Sort(picks);
        return picks;
    }

    public void Dispose()
    {
        _quantizer?.Dispose();
        _lists.Dispose();
        _refine?.Dispose();
    }
}
