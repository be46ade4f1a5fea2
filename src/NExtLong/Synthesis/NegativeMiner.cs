using NExtLong.Index;

namespace NExtLong.Synthesis;

/// <summary>
/// Hard-negative mining (paper section 3.1.2, Algorithm 1 lines 21–24): for each meta-chunk, the top-k most
/// similar index chunks, most similar first. Within one synthesized document no negative is used twice
/// (Appendix C.1) and no chunk of the meta-document itself is used; a candidate more similar than the
/// near-duplicate threshold is a false negative (the same text under another id) and is skipped and counted.
/// Meta-chunks claim negatives in order, so the result equals retrieving them one after another.
/// </summary>
public sealed class NegativeMiner(IVectorIndex index, float nearDuplicateThreshold)
{
    /// <summary>Extra candidates fetched beyond k in the first batched search, so that most meta-chunks need no second search.</summary>
    private const int Slack = 16;

    public float NearDuplicateThreshold { get; } = nearDuplicateThreshold;

    /// <param name="metaChunkVectors">p × d row-major unit vectors of the meta-chunks.</param>
    /// <param name="k">Negatives wanted per meta-chunk.</param>
    /// <param name="ownChunks">The index ids of the meta-document's own chunks, [start, end); empty when it is not indexed.</param>
    /// <param name="negatives">Receives one list per meta-chunk (may be shorter than k when the index runs out).</param>
    /// <returns>How many candidates were skipped as near-duplicates.</returns>
    public int Mine(ReadOnlySpan<float> metaChunkVectors, int k, (long Start, long End) ownChunks, List<List<MinedNegative>> negatives)
    {
        int d = index.Dimension;
        int p = metaChunkVectors.Length / d;
        negatives.Clear();
        var used = new HashSet<long>();
        int nearDuplicates = 0;
        long available = index.Count - (ownChunks.End - ownChunks.Start);
        int fetch = (int)Math.Min(k + Slack, Math.Max(1, available));
        var ids = new long[p * fetch];
        var scores = new float[p * fetch];
        var single = new SearchParameters { MaxThreads = 1, Exclusions = new RangeAndSetExclusions(ownChunks.Start, ownChunks.End) };
        index.Search(metaChunkVectors, fetch, ids, scores, single);
        for (int i = 0; i < p; i++)
        {
            var list = new List<MinedNegative>(k);
            int skipped = Claim(ids.AsSpan(i * fetch, fetch), scores.AsSpan(i * fetch, fetch), k, used, list);
            // Used negatives and near-duplicates ate into the candidates: search again with them excluded.
            int wider = fetch;
            while (list.Count < k && wider < available)
            {
                wider = (int)Math.Min(available, 2L * wider + used.Count);
                var exclusions = new RangeAndSetExclusions(ownChunks.Start, ownChunks.End, used);
                var moreIds = new long[wider];
                var moreScores = new float[wider];
                index.Search(metaChunkVectors.Slice(i * d, d), wider, moreIds, moreScores, new SearchParameters { MaxThreads = 1, Exclusions = exclusions });
                list.Clear();
                skipped = Claim(moreIds, moreScores, k, used, list);
            }
            nearDuplicates += skipped;
            foreach (var n in list) used.Add(n.ChunkId);
            negatives.Add(list);
        }
        return nearDuplicates;
    }

    private int Claim(ReadOnlySpan<long> ids, ReadOnlySpan<float> scores, int k, HashSet<long> used, List<MinedNegative> list)
    {
        int nearDuplicates = 0;
        for (int j = 0; j < ids.Length && list.Count < k; j++)
        {
            if (ids[j] < 0) break;
            if (used.Contains(ids[j])) continue;
            if (scores[j] > NearDuplicateThreshold)
            {
                nearDuplicates++;
                continue;
            }
            list.Add(new MinedNegative(ids[j], scores[j]));
        }
        return nearDuplicates;
    }
}
