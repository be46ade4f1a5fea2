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
    /// <summary>The manifest's file name in a chunks folder; written last, so its presence marks the folder complete.</summary>
    public const string FileName = "manifest.json";
    /// <summary>The format version this build writes and the only one <see cref="Read"/> accepts.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The manifest's format version; <see cref="CurrentFormatVersion"/> unless read from another build's folder.</summary>
    public int FormatVersion { get; init; } = CurrentFormatVersion;
    /// <summary>The chunking granularity s the chunks were cut with, in characters (Unicode scalar values).</summary>
    public required int ChunkChars { get; init; }
    /// <summary>The <see cref="Chunking.ChunkingMode"/> the chunks were cut with, by name ("Clean" or "PythonCompat").</summary>
    public required string ChunkingMode { get; init; }
    /// <summary>The text field given for every source; null when each source's own field was used.</summary>
    public string? TextField { get; init; }
    /// <summary>The id field given for every source; null when each source's own field was used.</summary>
    public string? IdField { get; init; }
    /// <summary>What reading did with a bad record, as a <see cref="Corpus.CorpusBadRecordAction"/> name.</summary>
    public required string OnBadRecord { get; init; }
    /// <summary>The input sources in order, each with its files' sizes and content checksums.</summary>
    public required IReadOnlyList<IndexedSource> Sources { get; init; }
    /// <summary>Documents read from the inputs.</summary>
    public long Documents { get; init; }
    /// <summary>Chunks written: the rows of all shards together, numbered with the index's own chunk ids.</summary>
    public long Chunks { get; init; }
    /// <summary>Chunks left out for being empty or whitespace only (possible in python-compat chunking), as the index leaves them out.</summary>
    public long BlankChunksSkipped { get; init; }
    /// <summary>Documents that gave no chunk at all.</summary>
    public long DocumentsWithoutChunks { get; init; }
    /// <summary>Bad input records skipped and counted, over all inputs.</summary>
    public long SkippedRecords { get; init; }
    /// <summary>The most rows one shard holds; every shard but the last holds exactly this many.</summary>
    public required int ShardChunks { get; init; }
    /// <summary>The shards' file format: parquet or jsonl.zst (<see cref="ChunkShardFormats.Name"/>).</summary>
    public string ShardFormat { get; init; } = ChunkShardFormat.Parquet.Name();
    /// <summary>The shards in chunk id order, with their id ranges and checksums; empty in a plan.</summary>
    public required IReadOnlyList<ChunkShard> Shards { get; init; }

    /// <summary>The manifest chunks cut with these settings from these inputs will have, before counts and shards are known.</summary>
    internal static ChunksManifest Plan(Chunking.ParagraphChunker chunker, Pipeline.CorpusInputOptions corpus, IReadOnlyList<IndexedSource> sources, int shardChunks,
        ChunkShardFormat shardFormat = ChunkShardFormat.Parquet) => new()
    {
        ChunkChars = chunker.MaxChars,
        ChunkingMode = chunker.Mode.ToString(),
        TextField = corpus.TextField,
        IdField = corpus.IdField,
        OnBadRecord = corpus.OnBadRecord.ToString(),
        Sources = sources,
        ShardChunks = shardChunks,
        ShardFormat = shardFormat.Name(),
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

    /// <summary>Reads the manifest.json at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is empty, not a chunks manifest, or of another format version.</exception>
    public static ChunksManifest Read(string path)
    {
        try
        {
            var manifest = IndexManifest.Json.Deserialize<ChunksManifest>(File.ReadAllText(path))
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
