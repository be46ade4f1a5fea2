namespace NExtLong.Index;

/// <summary>Where an indexed chunk came from: its document and its place there, in characters (Unicode scalar values).</summary>
public readonly record struct ChunkRecord(int Document, int Ordinal, int CharStart, int CharLength);

/// <summary>An indexed document: its chunks are the contiguous ids [FirstChunk, FirstChunk + ChunkCount).</summary>
public readonly record struct DocumentRecord(string Id, string Source, long FirstChunk, int ChunkCount);
