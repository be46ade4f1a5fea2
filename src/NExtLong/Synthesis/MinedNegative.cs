namespace NExtLong.Synthesis;

/// <summary>
/// A hard negative retrieved for a meta-chunk: an index chunk id, its similarity (the retriever's score) to the
/// meta-chunk, and, where that score is not a cosine but the index holds vectors (bm25 over a hybrid index), their
/// embedding cosine.
/// </summary>
internal readonly record struct MinedNegative(long ChunkId, float Similarity, float? Cosine = null);
