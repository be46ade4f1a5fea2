namespace NExtLong.Synthesis;

/// <summary>A hard negative retrieved for a meta-chunk: an index chunk id and its similarity to the meta-chunk.</summary>
internal readonly record struct MinedNegative(long ChunkId, float Similarity);
