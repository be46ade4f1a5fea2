using NExtLong.Chunking;
using NExtLong.Index;

namespace NExtLong.Synthesis;

/// <summary>
/// The text-level false-negative check of hard-negative mining: a candidate chunk that is mostly the
/// meta-document's own text (an edited copy, a re-spaced or re-cased duplicate under another id) is no negative.
/// Vectors miss such copies unless they are byte-identical, so the check compares word 5-gram shingles: the
/// candidate's (stored in the index) with the meta-document's and its meta-chunk's (computed once here).
/// Jaccard with the meta-chunk is checked first, so the counts tell a copy of this very meta-chunk from one of
/// elsewhere in the meta-document; since a meta-chunk's shingles are a subset of its document's, containment
/// catches everything Jaccard does at the same threshold.
/// </summary>
internal sealed class FalseNegativeGuard
{
    private readonly ChunkIndex _index;
    private readonly double _threshold;
    private readonly ulong[] _document;
    private readonly ulong[][] _metaChunks;

    /// <param name="index">The index whose stored chunk shingles the candidates are checked by.</param>
    /// <param name="threshold">Containment or Jaccard at or above which a candidate is skipped, in (0, 1].</param>
    /// <param name="metaText">The prepared meta-document text the meta-chunks are spans of.</param>
    /// <param name="metaChunks">The meta-chunks, in order; <see cref="Check"/> names one by its position here.</param>
    public FalseNegativeGuard(ChunkIndex index, double threshold, string metaText, IReadOnlyList<ChunkSpan> metaChunks)
    {
        _index = index;
        _threshold = threshold;
        _document = Shingles.Of(metaText);
        _metaChunks = new ulong[metaChunks.Count][];
        for (int i = 0; i < metaChunks.Count; i++) _metaChunks[i] = Shingles.Of(metaChunks[i].Of(metaText));
    }

    /// <summary>Why chunk <paramref name="chunkId"/> is a false negative of meta-chunk <paramref name="metaChunk"/>, if it is one.</summary>
    public FalseNegativeReason Check(long chunkId, int metaChunk)
    {
        var shingles = _index.ChunkShingles(chunkId);
        if (shingles.Length == 0) return FalseNegativeReason.None;
        if (Shingles.JaccardAtLeast(shingles, _metaChunks[metaChunk], _threshold)) return FalseNegativeReason.ShingleJaccard;
        if (Shingles.ContainmentAtLeast(shingles, _document, _threshold)) return FalseNegativeReason.ShingleContainment;
        return FalseNegativeReason.None;
    }
}
