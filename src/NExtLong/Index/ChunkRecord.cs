namespace NExtLong.Index;

/// <summary>Where an indexed chunk came from: its document and its place there, in characters (Unicode scalar values).</summary>
/// <param name="Document">The ordinal of the document it came from (see <see cref="ChunkIndex.Document"/>).</param>
/// <param name="Ordinal">Its place among that document's chunks, 0-based.</param>
/// <param name="CharStart">Where it starts in the prepared document, in characters.</param>
/// <param name="CharLength">Its length in characters.</param>
public readonly record struct ChunkRecord(int Document, int Ordinal, int CharStart, int CharLength);

/// <summary>An indexed document: its chunks are the contiguous ids [FirstChunk, FirstChunk + ChunkCount).</summary>
/// <param name="Id">The document's id in the corpus.</param>
/// <param name="Source">The name of the corpus source it was read from.</param>
/// <param name="FirstChunk">The id of its first chunk.</param>
/// <param name="ChunkCount">Its chunks; 0 for a document that gave none.</param>
public readonly record struct DocumentRecord(string Id, string Source, long FirstChunk, int ChunkCount);
