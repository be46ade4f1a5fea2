using System.Numerics.Tensors;
using NExtLong.Index;
using NExtLong.Retrieval;

namespace NExtLong.Synthesis;

/// <summary>
/// Hard-negative mining (paper section 3.1.2, Algorithm 1 lines 21–24): for each meta-chunk, the top-k most
/// similar index chunks, most similar first. Within one synthesized document no negative is used twice
/// (Appendix C.1) and no chunk of the meta-document itself is used; a candidate more similar than the
/// near-duplicate threshold, or mostly the meta-document's own text by word 5-grams (<see cref="FalseNegativeGuard"/>),
/// is a false negative (the same text under another id, or an edited copy) and is skipped, replaced by the next
/// candidate, and counted by reason.
/// Meta-chunks claim negatives in order, so the result equals retrieving them one after another.
/// The other selections of section 5.3 (tail-k, random-R, random-D, self-repeat) are ablations of this step.
/// Candidates come from an <see cref="IChunkRetriever"/> (dense, BM25 or hybrid); the near-duplicate threshold
/// applies only to retrievers whose scores are cosines.
/// </summary>
internal sealed class NegativeMiner(ChunkIndex index, IChunkRetriever retriever, float nearDuplicateThreshold)
{
    /// <summary>Extra candidates fetched beyond what is wanted, so that most meta-chunks need no second search.</summary>
    private const int Slack = 16;

    /// <summary>The widest first fetch per meta-chunk: a top-k heap of this size still costs little beside the scan.</summary>
    private const int MaxNestedFetch = 2048;

    /// <summary>A self-repeat "negative": the meta-chunk itself.</summary>
    public const long MetaChunkItself = -1;

    /// <summary>The cosine above which a candidate counts as the meta-chunk's own text under another id (cosine-scored retrievers only).</summary>
    public float NearDuplicateThreshold { get; } = nearDuplicateThreshold;

    /// <summary>Mines the hard negatives of one meta-document's meta-chunks, in meta-chunk order, by the given selection.</summary>
    /// <param name="metaChunkTexts">The p meta-chunks' texts.</param>
    /// <param name="metaChunkVectors">p × d row-major unit vectors of the meta-chunks; empty when the retriever needs none.</param>
    /// <param name="k">Negatives wanted per meta-chunk.</param>
    /// <param name="ownChunks">The index id ranges [start, end) of the meta-document's own chunks (none when it is not indexed).</param>
    /// <param name="negatives">Receives one list per meta-chunk (shorter than k only when the index runs out).</param>
    /// <param name="selection">Top-k (the paper's) or one of the section 5.3 ablations.</param>
    /// <param name="candidatePool">Candidates retrieved per meta-chunk for tail-k and random-R.</param>
    /// <param name="random">Source of the random choices of random-R and random-D.</param>
    /// <param name="guard">The meta-document's text-level false-negative check; null checks vectors only.</param>
    /// <param name="ct">Stops the searches.</param>
    /// <param name="first">The meta-chunks' rows of a batch's first search (<see cref="SearchFirst"/>); used when at
    /// least as wide as this call's own first fetch would be, else searched here.</param>
    /// <param name="through">Mine meta-chunks up to this one (exclusive; all by default). Their negatives are those
    /// mining them all would give: meta-chunks claim in order, and no later one changes an earlier one's.</param>
    /// <param name="resume">Go on from the meta-chunks <paramref name="negatives"/> already holds (top-k and tail-k
    /// only, which draw nothing at random): the result is that of mining them all at once.</param>
    /// <param name="byMetaChunk">Receives, when given, the skips of each meta-chunk mined, in order (alongside
    /// <paramref name="negatives"/>' lists).</param>
    /// <returns>How many candidates were skipped as false negatives, by reason, in the meta-chunks mined by this call.</returns>
    public FalseNegativeCounts Mine(string[] metaChunkTexts, ReadOnlySpan<float> metaChunkVectors, int k, IReadOnlyList<(long Start, long End)> ownChunks, List<List<MinedNegative>> negatives,
        NegativeSelection selection = NegativeSelection.TopK, int candidatePool = 512, Random? random = null, FalseNegativeGuard? guard = null, CancellationToken ct = default,
        RankedLists? first = null, int through = int.MaxValue, bool resume = false, List<FalseNegativeCounts>? byMetaChunk = null)
    {
        int p = metaChunkTexts.Length;
        int d = metaChunkVectors.Length / Math.Max(1, p);
        if (resume && selection is not (NegativeSelection.TopK or NegativeSelection.TailK))
            throw new ArgumentException($"{selection} mining cannot be resumed", nameof(resume));
        if (!resume)
        {
            negatives.Clear();
            byMetaChunk?.Clear();
        }
        if (selection == NegativeSelection.SelfRepeat)
        {
            for (int i = 0; i < p; i++)
            {
                negatives.Add(Enumerable.Repeat(new MinedNegative(MetaChunkItself, 1f), k).ToList());
                byMetaChunk?.Add(default);
            }
            return default;
        }
        // Negatives are never used twice in a document: those already chosen, when resuming, stay excluded.
        var used = new HashSet<long>(negatives.SelectMany(list => list.Select(n => n.ChunkId)));
        int from = negatives.Count, to = Math.Min(p, through);
        var skippedTotal = new FalseNegativeCounts();
        long available = index.ChunkCount - ownChunks.Sum(r => r.End - r.Start);
        if (selection == NegativeSelection.RandomD)
        {
            random ??= new Random(0);
            for (int i = from; i < p; i++)
            {
                var skipped = new FalseNegativeCounts();
                negatives.Add(DrawAtRandom(metaChunkVectors.Slice(i * d, d), i, k, ownChunks, used, random, guard, ref skipped));
                byMetaChunk?.Add(skipped);
                skippedTotal += skipped;
            }
            return skippedTotal;
        }

        if (to <= from) return skippedTotal;
        int want = Want(k, selection, candidatePool);
        // The width is the whole meta-document's (p meta-chunks), however many are mined now: the same lists either way.
        int fetch = Fetch(k, p, selection, candidatePool, ownChunks);
        int row = 0;
        if (first is null || first.Width < fetch || first.Rows < to)
        {
            // Rows of the meta-chunks mined here, from the first not yet mined.
            int rows = to - from;
            first = new RankedLists(new long[rows * fetch], new float[rows * fetch], fetch);
            retriever.Search(metaChunkTexts.AsSpan(from, rows), metaChunkVectors.Slice(from * d, rows * d), fetch, new RangeAndSetExclusions(ownChunks), first.Ids, first.Scores, ct);
            row = -from;
        }
        for (int i = from; i < to; i++)
        {
            ct.ThrowIfCancellationRequested();
            var candidates = new List<MinedNegative>(want);
            var skipped = Claim(first.IdsOf(row + i), first.ScoresOf(row + i), i, want, used, guard, candidates);
            // Used negatives and false negatives ate into the candidates: search again with them excluded.
            int wider = first.Width;
            while (candidates.Count < want && wider < available)
            {
                wider = (int)Math.Min(available, 2L * wider + used.Count);
                var moreIds = new long[wider];
                var moreScores = new float[wider];
                retriever.Search(metaChunkTexts.AsSpan(i, 1), metaChunkVectors.Slice(i * d, d), wider, new RangeAndSetExclusions(ownChunks, used), moreIds, moreScores, ct);
                candidates.Clear();
                skipped = Claim(moreIds, moreScores, i, want, used, guard, candidates);
            }
            skippedTotal += skipped;
            byMetaChunk?.Add(skipped);
            var chosen = Choose(candidates, k, selection, random);
            foreach (var n in chosen) used.Add(n.ChunkId);
            negatives.Add(chosen);
        }
        return skippedTotal;
    }

    /// <summary>
    /// The first search of several meta-documents at once, one call for all their meta-chunks (each excluding its
    /// own document's chunks), on up to <paramref name="threads"/> threads: an exact scan then serves a batch of
    /// documents for the price of one. Only for nested results (<see cref="IChunkRetriever.ResultsAreNested"/>), where
    /// a list wider than a document's own first fetch gives it the same negatives, from a retriever whose queries share
    /// scans (<see cref="IChunkRetriever.QueriesShareScans"/>); null otherwise, or when the selection searches nothing. Meta-document g's rows start at the returned lists' row g.FirstRow.
    /// </summary>
    public RankedLists[]? SearchFirst(IReadOnlyList<(string[] Texts, float[] Vectors, int K, IReadOnlyList<(long Start, long End)> Own, int Searched)> documents,
        NegativeSelection selection, int candidatePool, int threads, CancellationToken ct)
    {
        if (!SearchesInBatches(selection) || documents.Count == 0) return null;
        int width = documents.Max(doc => Fetch(doc.K, doc.Texts.Length, selection, candidatePool, doc.Own));
        var firstQuery = new int[documents.Count];
        int rows = 0;
        for (int g = 0; g < documents.Count; g++)
        {
            firstQuery[g] = rows;
            rows += documents[g].Searched;
        }
        // Each document's first Searched meta-chunks (those it is expected to keep; Mine searches any others it needs).
        var texts = documents.SelectMany(doc => doc.Texts.Take(doc.Searched)).ToArray();
        var vectors = retriever.NeedsVectors ? documents.SelectMany(doc => doc.Vectors.Take(doc.Searched * (doc.Vectors.Length / doc.Texts.Length))).ToArray() : [];
        var ids = new long[(long)rows * width];
        var scores = new float[(long)rows * width];
        retriever.Search(texts, vectors, width, new DocumentBatchExclusions(firstQuery, [.. documents.Select(doc => doc.Own)]), ids, scores, ct, threads);
        return [.. firstQuery.Select((row, g) => new RankedLists(ids, scores, width, row, documents[g].Searched))];
    }

    /// <summary>Whether <see cref="SearchFirst"/> searches at all for this selection and retriever.</summary>
    public bool SearchesInBatches(NegativeSelection selection)
        => retriever.ResultsAreNested && retriever.QueriesShareScans && selection is not (NegativeSelection.SelfRepeat or NegativeSelection.RandomD);

    private static int Want(int k, NegativeSelection selection, int candidatePool) => selection == NegativeSelection.TopK ? k : Math.Max(k, candidatePool);

    /// <summary>The first search's width for one meta-document: at most what the index holds beside its own chunks.</summary>
    private int Fetch(int k, int metaChunks, NegativeSelection selection, int candidatePool, IReadOnlyList<(long Start, long End)> own)
        => (int)Math.Min(FirstFetch(Want(k, selection, candidatePool), k, metaChunks), Math.Max(1, index.ChunkCount - own.Sum(r => r.End - r.Start)));

    /// <summary>
    /// Candidates fetched per meta-chunk by the first search. Meta-chunk i loses at most the i·k negatives claimed
    /// before it, so with nested results (<see cref="IChunkRetriever.ResultsAreNested"/>) a first fetch that wide
    /// leaves a re-search only to false negatives beyond the slack: one search per document instead of one per
    /// meta-chunk, with the same negatives. Bounded, so that a very long meta-document costs no more than a re-search.
    /// A re-search costs a whole query (an exact scan, or every posting of a BM25 query's terms: at 751,699 chunks a
    /// third of BM25's queries were re-searches), the wider top k little beside it.
    /// </summary>
    private int FirstFetch(int want, int k, int metaChunks)
        => retriever.ResultsAreNested ? (int)Math.Min(want + Slack + (long)(metaChunks - 1) * k, Math.Max(want + Slack, MaxNestedFetch)) : want + Slack;

    private static List<MinedNegative> Choose(List<MinedNegative> candidates, int k, NegativeSelection selection, Random? random)
    {
        switch (selection)
        {
            case NegativeSelection.TailK:
                var tail = candidates.Skip(Math.Max(0, candidates.Count - k)).ToList();
                tail.Reverse();
                return tail;
            case NegativeSelection.RandomR:
                random ??= new Random(0);
                var shuffled = candidates.ToArray();
                random.Shuffle(shuffled);
                return shuffled.Take(k).ToList();
            default:
                return candidates.Count > k ? candidates.GetRange(0, k) : candidates;
        }
    }

    private FalseNegativeCounts Claim(ReadOnlySpan<long> ids, ReadOnlySpan<float> scores, int metaChunk, int want, HashSet<long> used,
        FalseNegativeGuard? guard, List<MinedNegative> list)
    {
        var skipped = new FalseNegativeCounts();
        for (int j = 0; j < ids.Length && list.Count < want; j++)
        {
            if (ids[j] < 0) break;
            if (used.Contains(ids[j])) continue;
            var reason = Check(ids[j], scores[j], metaChunk, guard);
            if (reason != FalseNegativeReason.None)
            {
                skipped = Count(skipped, reason);
                continue;
            }
            list.Add(new MinedNegative(ids[j], scores[j]));
        }
        return skipped;
    }

    // The vector check first: it costs nothing (and applies only where scores are cosines); the text check reads the
    // candidate's shingles.
    private FalseNegativeReason Check(long id, float similarity, int metaChunk, FalseNegativeGuard? guard)
        => retriever.ScoresAreCosines && similarity > NearDuplicateThreshold ? FalseNegativeReason.NearDuplicateCosine
            : guard?.Check(id, metaChunk) ?? FalseNegativeReason.None;

    private static FalseNegativeCounts Count(FalseNegativeCounts counts, FalseNegativeReason reason) => reason switch
    {
        FalseNegativeReason.NearDuplicateCosine => counts with { NearDuplicateCosine = counts.NearDuplicateCosine + 1 },
        FalseNegativeReason.ShingleJaccard => counts with { ShingleJaccard = counts.ShingleJaccard + 1 },
        _ => counts with { ShingleContainment = counts.ShingleContainment + 1 },
    };

    // Random chunks of the whole corpus (random-D). Draws are bounded so a nearly exhausted index cannot loop forever.
    private List<MinedNegative> DrawAtRandom(ReadOnlySpan<float> query, int metaChunk, int k, IReadOnlyList<(long Start, long End)> own, HashSet<long> used,
        Random random, FalseNegativeGuard? guard, ref FalseNegativeCounts skipped)
    {
        var list = new List<MinedNegative>(k);
        var vector = new float[query.Length];
        for (long draws = 0; list.Count < k && draws < 20L * k + 1000; draws++)
        {
            long id = random.NextInt64(index.ChunkCount);
            if (own.Any(r => id >= r.Start && id < r.End) || !used.Add(id)) continue;
            // Without vectors (bm25) a random chunk has no similarity to report or check.
            if (query.IsEmpty)
            {
                list.Add(new MinedNegative(id, 0f));
                continue;
            }
            index.ReadVector(id, vector);
            float similarity = TensorPrimitives.Dot(query, vector);
            var reason = Check(id, similarity, metaChunk, guard);
            if (reason != FalseNegativeReason.None)
            {
                skipped = Count(skipped, reason);
                continue;
            }
            list.Add(new MinedNegative(id, similarity));
        }
        return list;
    }
}
