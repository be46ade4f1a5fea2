namespace NExtLong.Index;

/// <summary>
/// File names and record layouts of an index folder (all little-endian):
/// chunks.text (UTF-8 chunk texts back to back); chunks.table (24 B per chunk: u64 text offset, u32 text bytes,
/// u32 document, u32 char start, u32 char length); documents.ids (UTF-8 ids back to back); documents.table
/// (40 B per document: u64 id key, u64 id offset, u64 first chunk, u32 id bytes, u32 chunk count, u32 source,
/// u32 reserved); documents.keys (16 B per document sorted by key: u64 key, u32 document, u32 reserved);
/// chunks.shingles (each chunk's distinct word 5-gram hashes, <see cref="Chunking.Shingles"/>, sorted u64s, chunks back
/// to back); chunks.shingles.offsets (u64 per chunk plus one: where each chunk's hashes start in chunks.shingles,
/// counted in hashes, then the total); documents.origins (24 B per document: u64 offset of its gaps in documents.gaps,
/// u32 their bytes, u32 the input file it was read from, as an ordinal over the manifest's sources' files in order, u64
/// its record there: line or row) and documents.gaps (each document's text outside its chunks, <see cref="DocumentGaps"/>),
/// which let synthesis read meta-documents from the index (indexes built before them lack both);
/// vectors.flat (<see cref="VectorIndexFile"/>); vectors.ivf (<see cref="IvfIndexFile"/>, only when the index spec
/// is IVF); lexical.bm25 (<see cref="Retrieval.LexicalIndexFile"/>, only for the bm25 and hybrid retrievers; a bm25
/// index has no vectors.flat); manifest.json, written last. `synthesize --token-cache build` adds tokens-KEY.cache files
/// (<see cref="ChunkTokenCache"/>) later; they are not part of the build.
/// </summary>
internal static class ChunkIndexFiles
{
    public const string Manifest = "manifest.json";
    public const string ChunkText = "chunks.text";
    public const string ChunkTable = "chunks.table";
    public const string DocumentIds = "documents.ids";
    public const string DocumentTable = "documents.table";
    public const string DocumentKeys = "documents.keys";
    public const string ChunkShingles = "chunks.shingles";
    public const string ChunkShingleOffsets = "chunks.shingles.offsets";
    public const string Vectors = "vectors.flat";
    public const string ApproximateVectors = "vectors.ivf";
    public const string Lexical = "lexical.bm25";
    public const string DocumentOrigins = "documents.origins";
    public const string DocumentGaps = "documents.gaps";

    public const int ChunkRecordBytes = 24;
    public const int DocumentRecordBytes = 40;
    public const int KeyRecordBytes = 16;
    public const int OriginRecordBytes = 24;

    public static readonly string[] DataFiles = [ChunkText, ChunkTable, DocumentIds, DocumentTable, DocumentKeys, ChunkShingles, ChunkShingleOffsets, Vectors];

    /// <summary>The files an index may hold beyond <see cref="DataFiles"/>, each only when its retriever or spec asks for it.</summary>
    public static readonly string[] OptionalFiles = [ApproximateVectors, Lexical, DocumentOrigins, DocumentGaps];

    /// <summary>Every file an index may hold besides its manifest: what a build moves into place and checksums.</summary>
    public static readonly string[] PayloadFiles = [.. DataFiles, .. OptionalFiles];

    /// <summary>The key a document is found by: XxHash64 of its id's UTF-8 bytes.</summary>
    public static ulong KeyOf(string id) => System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(id));
}
