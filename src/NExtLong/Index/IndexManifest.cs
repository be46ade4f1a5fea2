using System.Text.Json;
using System.Text.Json.Serialization;

namespace NExtLong.Index;

/// <summary>manifest.json of an index folder: how it was built, what it holds, and checksums of its files.</summary>
public sealed record IndexManifest
{
    /// <summary>2: chunks.shingles and its offsets, which the false-negative guard reads.</summary>
    public const int CurrentFormatVersion = 2;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required string IndexSpec { get; init; }
    /// <summary>What the index serves: "dense" (vectors), "bm25" (lexical.bm25 only, no embedder) or "hybrid" (both).</summary>
    public string Retriever { get; init; } = "dense";
    /// <summary>The lexical index's analyzer and BM25 parameters; null without one.</summary>
    public Retrieval.Bm25Settings? Lexical { get; init; }
    public required string Embedder { get; init; }
    public required int Dimension { get; init; }
    public required int ChunkChars { get; init; }
    public required string ChunkingMode { get; init; }
    public required IReadOnlyList<IndexedSource> Sources { get; init; }
    public long Documents { get; init; }
    public long Chunks { get; init; }
    public long BlankChunksSkipped { get; init; }
    public long DocumentsWithoutChunks { get; init; }
    public long SkippedRecords { get; init; }
    public long DuplicateIds { get; init; }
    public IReadOnlyDictionary<string, string> FileChecksums { get; init; } = new Dictionary<string, string>();
    /// <summary>Only for an index built from vectors computed elsewhere (embedder vectors:NAME).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ImportedVectorFiles? ImportedVectors { get; init; }

    /// <summary>True when an index built with <paramref name="other"/>'s settings and inputs would be this one.</summary>
    public bool SameBuildAs(IndexManifest other)
        => FormatVersion == other.FormatVersion && IndexSpec == other.IndexSpec && Retriever == other.Retriever && Lexical == other.Lexical
           && Embedder == other.Embedder && ChunkChars == other.ChunkChars
           && ChunkingMode == other.ChunkingMode && Sources.SequenceEqual(other.Sources, IndexedSource.Comparer)
           && ImportedVectorFiles.Same(ImportedVectors, other.ImportedVectors);

    /// <summary>Built with these settings from files of these names and sizes; the content is not compared (see <see cref="SameBuildAs"/>).</summary>
    public bool SameSettingsAndFileSizes(string retriever, string embedder, Chunking.ParagraphChunker chunker, IReadOnlyList<IndexedSource> sources)
        => FormatVersion == CurrentFormatVersion && Retriever == retriever && Embedder == embedder && ChunkChars == chunker.MaxChars && ChunkingMode == chunker.Mode.ToString()
           && Sources.Count == sources.Count
           && Sources.Zip(sources).All(p => p.First.Name == p.Second.Name
               && p.First.Files.Select(f => (f.Path, f.Bytes)).SequenceEqual(p.Second.Files.Select(f => (f.Path, f.Bytes))));

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static IndexManifest Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<IndexManifest>(File.ReadAllText(path), Json)
                   ?? throw new InvalidDataException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable index manifest: {e.Message}", e);
        }
    }
}

/// <summary>One corpus source of an index, with its files' sizes and content checksums so that a changed input is noticed.</summary>
public sealed record IndexedSource(string Name, IReadOnlyList<IndexedFile> Files)
{
    public static readonly IEqualityComparer<IndexedSource> Comparer = EqualityComparer<IndexedSource>.Create(
        (a, b) => a is not null && b is not null && a.Name == b.Name && a.Files.SequenceEqual(b.Files),
        s => s.Name.GetHashCode());
}

/// <param name="Path">The file relative to the folder its --input pattern names: what documents without an id are named by.</param>
/// <param name="Xxh3">XxHash3 of the file's bytes (16 hex digits); freshness rests on it, not on names or sizes. Null
/// only in the plan of a distributed step, whose units record their own.</param>
public sealed record IndexedFile(string Path, long Bytes, string? Xxh3);
