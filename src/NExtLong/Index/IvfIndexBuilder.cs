namespace NExtLong.Index;

/// <summary>
/// Builds an IVF index file from a <see cref="VectorIndexFile"/> in bounded memory, the way a cluster would:
/// train once on a seeded sample, add the vectors shard by shard (each shard saved on its own), then merge the
/// shards. Peak memory is the training sample plus one shard's codes; the vector file is only memory-mapped.
/// The result is the same file for any shard size or thread count.
/// </summary>
internal static class IvfIndexBuilder
{
    /// <summary>k-means points per list: just above FAISS's 39-per-centroid warning, to keep training affordable at tens of millions of vectors.</summary>
    public const int TrainingPointsPerList = 40;

    /// <summary>Vectors per shard by default (for d = 100 and SQ8, about 200 MB of codes).</summary>
    public const long DefaultShardVectors = 2_000_000;

    /// <summary>Builds <paramref name="ivfPath"/> from <paramref name="flatPath"/> for <paramref name="spec"/> (nlist left open is chosen from the vector count).</summary>
    public static void Build(string flatPath, string ivfPath, string spec, int threads, long shardVectors = DefaultShardVectors,
        Action<string>? log = null, CancellationToken ct = default)
    {
        using var flat = (FlatIndex)VectorIndexFile.Open(flatPath, verifyChecksum: false);
        var resolved = IvfSpec.Parse(spec).Resolve(flat.Count);
        int d = flat.Dimension;
        var rows = flat.Rows;
        long n = flat.Count;
        // PQ learns 256 centroids per sub-space whatever nlist is, so its sample has FAISS's 256 points per centroid at least.
        long wanted = Math.Max((long)TrainingPointsPerList * resolved.Nlist, resolved.Storage == IvfStorage.PQ ? ProductQuantizer.MaxTrainingPoints : 0);
        int sampleCount = (int)Math.Min(n, wanted);
        var picks = IvfIndex.SeededSubset((int)n, sampleCount, IvfIndex.DefaultSeed);
        var sample = new float[(long)sampleCount * d];
        for (int i = 0; i < sampleCount; i++)
        {
            if (i % 65536 == 0) ct.ThrowIfCancellationRequested();
            Row(rows, picks[i]).CopyTo(sample.AsSpan(i * d, d));
        }
        log?.Invoke($"training {resolved} on {sampleCount:N0} of {n:N0} vectors");
        using var trained = new IvfIndex(d, resolved, threads) { Cancellation = ct };
        trained.Train(sample);
        sample = [];
        ct.ThrowIfCancellationRequested();

        var shards = new List<string>();
        try
        {
            var buffer = new float[(long)VectorRows.BlockRows * 16 * d];
            for (long first = 0; first < n || shards.Count == 0; first += shardVectors)
            {
                long end = Math.Min(n, first + shardVectors);
                using var shard = trained.CreateShard(first);
                for (long at = first; at < end;)
                {
                    int filled = 0;
                    while (at < end && filled + VectorRows.BlockRows <= buffer.Length / d)
                    {
                        long blockStart = at / VectorRows.BlockRows * VectorRows.BlockRows;
                        int blockRows = (int)Math.Min(VectorRows.BlockRows, rows.Count - blockStart);
                        int offset = (int)(at - blockStart);
                        int take = (int)Math.Min(blockRows - offset, end - at);
                        rows.Block(blockStart, blockRows).Slice(offset * d, take * d).CopyTo(buffer.AsSpan(filled * d));
                        filled += take;
                        at += take;
                    }
                    shard.Add(buffer.AsSpan(0, filled * d));
                    ct.ThrowIfCancellationRequested();
                }
                string shardPath = $"{ivfPath}.shard{shards.Count:D5}";
                IvfIndexFile.Save(shard, shardPath);
                shards.Add(shardPath);
                log?.Invoke($"added vectors {first:N0}..{end:N0}");
            }
            if (shards.Count == 1) File.Move(shards[0], ivfPath, overwrite: true);
            else IvfIndexFile.Merge(shards, ivfPath);
        }
        finally
        {
            foreach (var s in shards) File.Delete(s);
        }
    }

    private static ReadOnlySpan<float> Row(VectorRows rows, long id)
    {
        long blockStart = id / VectorRows.BlockRows * VectorRows.BlockRows;
        return rows.Block(blockStart, (int)Math.Min(VectorRows.BlockRows, rows.Count - blockStart)).Slice((int)(id - blockStart) * rows.Dimension, rows.Dimension);
    }
}
