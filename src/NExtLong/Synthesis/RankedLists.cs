namespace NExtLong.Synthesis;

/// <summary>
/// What one search returned for a batch of queries: row q holds query q's <see cref="Width"/> best chunk ids and
/// scores, best first (id -1 past the end). A meta-document of the batch reads its meta-chunks' rows from
/// <see cref="FirstRow"/> on; <see cref="Rows"/> of them were searched (its first meta-chunks, or all).
/// </summary>
internal sealed record RankedLists(long[] Ids, float[] Scores, int Width, int FirstRow = 0, int Rows = int.MaxValue)
{
    public ReadOnlySpan<long> IdsOf(int metaChunk) => Ids.AsSpan((FirstRow + metaChunk) * Width, Width);

    public ReadOnlySpan<float> ScoresOf(int metaChunk) => Scores.AsSpan((FirstRow + metaChunk) * Width, Width);
}
