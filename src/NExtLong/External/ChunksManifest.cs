using System.Text.Json;
using NExtLong.Index;

namespace NExtLong.External;

/// <summary>
/// manifest.json of a chunks folder (`nextlong chunks`): the index plan the chunks belong to (chunking settings,
/// fields, input files by content), the counts, and the shards with their chunk id ranges and checksums. A job that
/// embeds the shards elsewhere is bound to an index through it: `index --vectors` refuses vectors of other chunks.
/// </summary>
public sealed record ChunksManifest
{
    public const string FileName = "manifest.json";
    public const int CurrentFormatVersion = 1;

    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public required int ChunkChars { get; init; }
    public required string ChunkingMode { get; init; }
    public string? TextField { get; init; }
    public string? IdField { get; init; }
    public required string OnBadRecord { get; init; }
    public required IReadOnlyList<IndexedSource> Sources { get; init; }
    public long Documents { get; init; }
    public long Chunks { get; init; }
    public long BlankChunksSkipped { get; init; }
    public long DocumentsWithoutChunks { get; init; }
    public long SkippedRecords { get; init; }
    public required int ShardChunks { get; init; }
    public required IReadOnlyList<ChunkShard> Shards { get; init; }

    /// <summary>The manifest chunks cut with these settings from these inputs will have, before counts and shards are known.</summary>
    internal static ChunksManifest Plan(Chunking.ParagraphChunker chunker, Pipeline.CorpusInputOptions corpus, IReadOnlyList<IndexedSource> sources, int shardChunks) => new()
    {
        ChunkChars = chunker.MaxChars,
        ChunkingMode = chunker.Mode.ToString(),
        TextField = corpus.TextField,
        IdField = corpus.IdField,
        OnBadRecord = corpus.OnBadRecord.ToString(),
        Sources = sources,
        ShardChunks = shardChunks,
        Shards = [],
    };

    /// <summary>The first setting or input in which chunks made as <paramref name="planned"/> says would differ from these; null when none.</summary>
    public string? DifferenceFrom(ChunksManifest planned)
    {
        if (ChunkChars != planned.ChunkChars) return $"chunk_chars {ChunkChars}, not {planned.ChunkChars}";
        if (ChunkingMode != planned.ChunkingMode) return $"chunking_mode {ChunkingMode}, not {planned.ChunkingMode}";
        if (TextField != planned.TextField) return $"text_field {TextField ?? "(default)"}, not {planned.TextField ?? "(default)"}";
        if (IdField != planned.IdField) return $"id_field {IdField ?? "(default)"}, not {planned.IdField ?? "(default)"}";
        if (OnBadRecord != planned.OnBadRecord) return $"on_bad_record {OnBadRecord}, not {planned.OnBadRecord}";
        if (!Sources.SequenceEqual(planned.Sources, IndexedSource.Comparer))
        {
            var here = Sources.SelectMany(s => s.Files.Select(f => $"{s.Name}:{f.Path} ({f.Bytes} bytes, xxh3 {f.Xxh3})")).ToList();
            var there = planned.Sources.SelectMany(s => s.Files.Select(f => $"{s.Name}:{f.Path} ({f.Bytes} bytes, xxh3 {f.Xxh3})")).ToList();
            string? first = here.Except(there).FirstOrDefault();
            return first is not null ? $"input {first} is not among the inputs given now"
                : $"input {there.Except(here).FirstOrDefault() ?? "order"} differs from the inputs the chunks were made from";
        }
        return null;
    }

    public static ChunksManifest Read(string path)
    {
        try
        {
            var manifest = JsonSerializer.Deserialize<ChunksManifest>(File.ReadAllText(path), IndexManifest.Json)
                ?? throw new InvalidDataException($"{path}: empty chunks manifest");
            if (manifest.FormatVersion != CurrentFormatVersion)
                throw new InvalidDataException($"{path}: chunks manifest format version {manifest.FormatVersion}, this build reads {CurrentFormatVersion}");
            return manifest;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a chunks manifest of `nextlong chunks`: {e.Message}", e);
        }
    }
}
