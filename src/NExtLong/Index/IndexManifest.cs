using System.Text.Json;
using System.Text.Json.Serialization;

namespace NExtLong.Index;

/// <summary>manifest.json of an index folder: how it was built, what it holds, and checksums of its files.</summary>
public sealed record IndexManifest
{
    /// <summary>2: chunks.shingles and its offsets, which the false-negative guard reads.</summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>The manifest's format version; opening an index of another version fails, asking for a rebuild.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;
    /// <summary>The vector index's canonical spec: "Flat" (exact inner product) or an IVF spec such as "IVF,SQ8,RFlat".</summary>
    public required string IndexSpec { get; init; }
    /// <summary>What the index serves: "dense" (vectors), "bm25" (lexical.bm25 only, no embedder) or "hybrid" (both).</summary>
    public string Retriever { get; init; } = "dense";
    /// <summary>The lexical index's analyzer and BM25 parameters; null without one.</summary>
    public Retrieval.Bm25Settings? Lexical { get; init; }
    /// <summary>The spec of the embedder the chunk vectors came from; "none" for a bm25-only index.</summary>
    public required string Embedder { get; init; }
    /// <summary>Components per chunk vector; 0 when the index holds no vectors.</summary>
    public required int Dimension { get; init; }
    /// <summary>The chunking granularity s, in characters (Unicode scalar values); synthesis cuts meta-chunks with the same s.</summary>
    public required int ChunkChars { get; init; }
    /// <summary>The <see cref="Chunking.ChunkingMode"/> the chunks were cut with, by name ("Clean" or "PythonCompat").</summary>
    public required string ChunkingMode { get; init; }
    /// <summary>The corpus sources indexed, in order, each with its files' sizes and content checksums.</summary>
    public required IReadOnlyList<IndexedSource> Sources { get; init; }
    /// <summary>
    /// The fields each source's records were read by, in source order: what decides which text each document holds, so
    /// that synthesis serves meta-documents from the index only when it would read the same ones. Null in indexes
    /// built before it was recorded.
    /// </summary>
    public IReadOnlyList<IndexedFields>? Fields { get; init; }
    /// <summary>Documents in the index, chunked or not.</summary>
    public long Documents { get; init; }
    /// <summary>Chunks in the index, each one retrievable as a hard negative.</summary>
    public long Chunks { get; init; }
    /// <summary>Chunks left out for being empty or whitespace only (possible in python-compat chunking).</summary>
    public long BlankChunksSkipped { get; init; }
    /// <summary>Documents that gave no chunk to index.</summary>
    public long DocumentsWithoutChunks { get; init; }
    /// <summary>Bad input records skipped and counted while reading the corpus.</summary>
    public long SkippedRecords { get; init; }
    /// <summary>Documents whose id (by its 64-bit hash) an earlier document already had.</summary>
    public long DuplicateIds { get; init; }
    /// <summary>XxHash64 (16 hex digits) of each data file of the index folder, by file name; checked when the index is opened with verification.</summary>
    public IReadOnlyDictionary<string, string> FileChecksums { get; init; } = new Dictionary<string, string>();
    /// <summary>Only for an index built from vectors computed elsewhere (embedder vectors:NAME).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ImportedVectorFiles? ImportedVectors { get; init; }

    /// <summary>True when an index built with <paramref name="other"/>'s settings and inputs would be this one.</summary>
    public bool SameBuildAs(IndexManifest other)
        => FormatVersion == other.FormatVersion && IndexSpec == other.IndexSpec && Retriever == other.Retriever && Lexical == other.Lexical
           && Embedder == other.Embedder && ChunkChars == other.ChunkChars
           && ChunkingMode == other.ChunkingMode && Sources.SequenceEqual(other.Sources, IndexedSource.Comparer) && SameFields(other.Fields)
           && ImportedVectorFiles.Same(ImportedVectors, other.ImportedVectors);

    /// <summary>
    /// What differs between this index and one built as <paramref name="other"/> says, as "name: this → other" phrases
    /// (empty when <see cref="SameBuildAs"/>): for an error that says why an index cannot be reused.
    /// </summary>
    public IReadOnlyList<string> Differences(IndexManifest other)
    {
        var found = new List<string>();
        void Compare(string name, object? mine, object? theirs)
        {
            if (!Equals(mine, theirs)) found.Add($"{name}: {mine ?? "none"} → {theirs ?? "none"}");
        }
        Compare("format version", FormatVersion, other.FormatVersion);
        Compare("index spec", IndexSpec, other.IndexSpec);
        Compare("retriever", Retriever, other.Retriever);
        Compare("BM25 analyzer", Lexical?.Analyzer, other.Lexical?.Analyzer);
        if (Lexical is { } a && other.Lexical is { } b && a.Analyzer == b.Analyzer && a != b)
            found.Add($"BM25 settings: k1 {a.K1}, b {a.B}, query terms {a.QueryTerms}, min doc freq {a.MinDocFreq} → k1 {b.K1}, b {b.B}, query terms {b.QueryTerms}, min doc freq {b.MinDocFreq}");
        Compare("embedder", Embedder, other.Embedder);
        Compare("chunk chars", ChunkChars, other.ChunkChars);
        Compare("chunking", ChunkingMode, other.ChunkingMode);
        if (!Sources.SequenceEqual(other.Sources, IndexedSource.Comparer)) found.Add("inputs (by content)");
        if (!SameFields(other.Fields)) found.Add($"fields: {Describe(Fields!)} → {Describe(other.Fields!)}");
        if (!ImportedVectorFiles.Same(ImportedVectors, other.ImportedVectors)) found.Add("imported vectors (by content)");
        return found;
    }

    // An index that did not record its fields was built before they were: it is taken as read with the ones asked for.
    private bool SameFields(IReadOnlyList<IndexedFields>? other) => Fields is null || other is null || Fields.SequenceEqual(other);

    private static string Describe(IReadOnlyList<IndexedFields> fields) => string.Join(", ", fields.Select(f => $"text {f.TextField}, id {f.IdField}"));

    /// <summary>Built with these settings (the fields read included) from files of these names and sizes; the content is
    /// not compared (see <see cref="SameBuildAs"/>).</summary>
    public bool SameSettingsAndFileSizes(string indexSpec, string retriever, Retrieval.Bm25Settings? lexical, string embedder, Chunking.ParagraphChunker chunker,
        IReadOnlyList<IndexedFields> fields, IReadOnlyList<IndexedSource> sources)
        => FormatVersion == CurrentFormatVersion && IndexSpec == indexSpec && Retriever == retriever && Lexical == lexical && Embedder == embedder
           && ChunkChars == chunker.MaxChars && ChunkingMode == chunker.Mode.ToString() && SameFields(fields)
           && Sources.Count == sources.Count
           && Sources.Zip(sources).All(p => p.First.Name == p.Second.Name
               && p.First.Files.Select(f => (f.Path, f.Bytes)).SequenceEqual(p.Second.Files.Select(f => (f.Path, f.Bytes))));

    /// <summary>How manifest.json is written and read: indented, snake_case property names, null properties kept.</summary>
    public static readonly JsonSerializerOptions Json = JsonContracts.Make(new System.Text.Json.JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    });

    /// <summary>Reads the manifest.json at <paramref name="path"/>; its format version is checked by whoever opens the index.</summary>
    /// <exception cref="InvalidDataException">The file is empty or not an index manifest.</exception>
    public static IndexManifest Read(string path)
    {
        try
        {
            return Json.Deserialize<IndexManifest>(File.ReadAllText(path))
                   ?? throw new InvalidDataException($"{path}: empty manifest");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable index manifest: {e.Message}", e);
        }
    }
}

/// <summary>One corpus source of an index, with its files' sizes and content checksums so that a changed input is noticed.</summary>
/// <param name="Name">The source's name (<see cref="Corpus.CorpusSource.Name"/>).</param>
/// <param name="Files">Its files, in the order read.</param>
public sealed record IndexedSource(string Name, IReadOnlyList<IndexedFile> Files)
{
    /// <summary>Equal when the names and the file lists (path, size and checksum of each, in order) are equal.</summary>
    public static readonly IEqualityComparer<IndexedSource> Comparer = EqualityComparer<IndexedSource>.Create(
        (a, b) => a is not null && b is not null && a.Name == b.Name && a.Files.SequenceEqual(b.Files),
        s => s.Name.GetHashCode());
}

/// <summary>The fields a source's records were read by.</summary>
/// <param name="TextField">The field (or dotted path) holding the text.</param>
/// <param name="IdField">The field (or dotted path) holding the id.</param>
public sealed record IndexedFields(string TextField, string IdField);

/// <summary>One input file of an index or chunks folder, by path, size and content.</summary>
/// <param name="Path">The file relative to the folder its --input pattern names: what documents without an id are named by.</param>
/// <param name="Xxh3">XxHash3 of the file's bytes (16 hex digits); freshness rests on it, not on names or sizes. Null
/// only in the plan of a distributed step, whose units record their own.</param>
/// <param name="Bytes">The file's size in bytes.</param>
public sealed record IndexedFile(string Path, long Bytes, string? Xxh3);
