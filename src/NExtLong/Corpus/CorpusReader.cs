using ZstdSharp;

namespace NExtLong.Corpus;

/// <summary>
/// Streams the documents of a corpus source from JSON lines (.jsonl, .json, optionally .gz or .zst) and Parquet files.
/// Memory stays bounded by the longest line or the largest Parquet row group: nothing reads a file whole.
/// </summary>
public static class CorpusReader
{
    private static readonly (string Extension, CorpusFileFormat Format)[] Extensions =
    [
        (".jsonl", CorpusFileFormat.JsonLines),
        (".json", CorpusFileFormat.JsonLines),
        (".jsonl.gz", CorpusFileFormat.JsonLinesGzip),
        (".json.gz", CorpusFileFormat.JsonLinesGzip),
        (".jsonl.zst", CorpusFileFormat.JsonLinesZstd),
        (".json.zst", CorpusFileFormat.JsonLinesZstd),
        (".parquet", CorpusFileFormat.Parquet),
    ];

    /// <summary>Whether the file's extension is one this reader reads.</summary>
    public static bool IsSupported(string path) => FormatOf(path) is not null;

    /// <summary>
    /// The files of <paramref name="source"/>: every pattern expanded (folders recursively, to their supported files;
    /// globs to their matching supported files), each file once, in ordinal order of full path. That order is the same
    /// on every machine, so a cluster can shard by file (rank r of W reads files[r::W]).
    /// </summary>
    /// <exception cref="FileNotFoundException">A pattern matches no file.</exception>
    /// <exception cref="ArgumentException">A file named directly has an unsupported extension.</exception>
    public static IReadOnlyList<string> ResolveFiles(CorpusSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var files = new HashSet<string>(StringComparer.Ordinal);
        foreach (string pattern in source.Patterns)
        {
            IEnumerable<string> matches;
            if (CorpusGlob.HasWildcards(pattern))
                matches = CorpusGlob.Expand(pattern).Where(IsSupported);
            else if (Directory.Exists(pattern))
                matches = Directory.EnumerateFiles(pattern, "*", new EnumerationOptions { RecurseSubdirectories = true })
                    .Where(IsSupported);
            else if (File.Exists(pattern))
                matches = IsSupported(pattern)
                    ? [pattern]
                    : throw new ArgumentException(
                        $"corpus file '{pattern}' is not .jsonl, .json, .jsonl.gz, .json.gz, .jsonl.zst, .json.zst or .parquet",
                        nameof(source));
            else
                matches = [];

            int matched = 0;
            foreach (string file in matches)
            {
                files.Add(Path.GetFullPath(file));
                matched++;
            }
            if (matched == 0)
                throw new FileNotFoundException(
                    $"corpus source '{source.Name}': '{pattern}' matches no .jsonl, .json, .jsonl.gz, .json.gz, .jsonl.zst, .json.zst or .parquet file",
                    pattern);
        }
        return files.Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Streams the documents of every file of <paramref name="source"/>, in <see cref="ResolveFiles"/> order.</summary>
    /// <exception cref="CorpusFormatException">Bad input while <see cref="CorpusReadOptions.OnBadRecord"/> is Fail.</exception>
    public static IEnumerable<CorpusDocument> Read(
        CorpusSource source, CorpusReadOptions options, CorpusReadReport report, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(report);
        IReadOnlyList<string> files = ResolveFiles(source);
        return files.SelectMany(file => ReadFile(source, file, options, report, ct));
    }

    /// <summary>
    /// Streams the documents of one file of <paramref name="source"/>. Documents without an id get
    /// "relative/file:line" (JSON lines, 1-based) or "relative/file#row" (Parquet, 0-based), relative to the folder the
    /// source's pattern names, so ids do not depend on where the corpus lies or on which rank reads the file.
    /// </summary>
    /// <exception cref="CorpusFormatException">Bad input while <see cref="CorpusReadOptions.OnBadRecord"/> is Fail.</exception>
    public static IEnumerable<CorpusDocument> ReadFile(
        CorpusSource source, string path, CorpusReadOptions options, CorpusReadReport report, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(report);
        return ReadRecords(source, path, options, report, rawRows: false, ct).Select(r => r.Document);
    }

    /// <summary>
    /// <see cref="ReadFile(CorpusSource, string, CorpusReadOptions, CorpusReadReport, CancellationToken)"/> with each
    /// document's record: the JSON line verbatim, or (with <paramref name="rawRows"/>) a Parquet row as a JSON object;
    /// without it a Parquet record's raw bytes are empty, since rendering every column costs a second decode.
    /// </summary>
    internal static IEnumerable<CorpusRecord> ReadRecords(
        CorpusSource source, string path, CorpusReadOptions options, CorpusReadReport report, bool rawRows, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(report);
        CorpusFileFormat format = FormatOf(path)
            ?? throw new ArgumentException($"'{path}' is not a supported corpus file", nameof(path));
        return ReadFile(new CorpusFileReadContext(source, path, RelativePath(source, path), options, report), format, rawRows, ct);
    }

    /// <summary>The name without a corpus extension: "train-00000.parquet" → "train-00000", "docs.jsonl.gz" → "docs".</summary>
    internal static string StripCorpusExtension(string fileName)
    {
        foreach ((string extension, _) in Extensions)
        {
            if (fileName.Length > extension.Length && fileName.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
                return fileName[..^extension.Length];
        }
        return fileName;
    }

    private static IEnumerable<CorpusRecord> ReadFile(CorpusFileReadContext context, CorpusFileFormat format, bool rawRows, CancellationToken ct)
    {
        if (format == CorpusFileFormat.Parquet)
        {
            using var file = new FileStream(context.Path, FileMode.Open, FileAccess.Read, FileShare.Read);
            foreach (CorpusRecord record in ParquetFileReader.Read(context, file, rawRows, ct))
                yield return record;
        }
        else
        {
            // The line reader and the decompressors read in large blocks of their own, so the file needs no buffer.
            using var file = new FileStream(context.Path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0,
                FileOptions.SequentialScan);
            using Stream decompressed = format switch
            {
                CorpusFileFormat.JsonLinesGzip => new GzipDecompressionStream(file),
                CorpusFileFormat.JsonLinesZstd => new DecompressionStream(file, leaveOpen: true),
                _ => file,
            };
            using var ahead = context.DecompressAhead && decompressed != file ? new ReadAheadStream(decompressed, "nextlong decompress") : null;
            Stream lines = (Stream?)ahead ?? decompressed;
            foreach (CorpusRecord record in JsonLinesFileReader.Read(context, lines, ct))
                yield return record;
        }
    }

    /// <summary>A record's location as documents and errors give it: "path:line" for JSON lines, "path#row" for Parquet (<paramref name="rows"/>).</summary>
    internal static string LocationOf(string path, long record, bool rows) => rows ? $"{path}#{record}" : $"{path}:{record}";

    /// <summary>The location of record <paramref name="record"/> of <paramref name="path"/>, by the file's format (see <see cref="LocationOf(string, long, bool)"/>).</summary>
    internal static string LocationOf(string path, long record) => LocationOf(path, record, FormatOf(path) == CorpusFileFormat.Parquet);

    private static CorpusFileFormat? FormatOf(string path)
    {
        foreach ((string extension, CorpusFileFormat format) in Extensions)
        {
            if (path.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
                return format;
        }
        return null;
    }

    /// <summary>The path relative to the folder of the first pattern that covers it, with '/' separators.</summary>
    internal static string RelativePath(CorpusSource source, string path)
    {
        string full = Path.GetFullPath(path);
        foreach (string pattern in source.Patterns)
        {
            string folder = CorpusGlob.HasWildcards(pattern) ? CorpusGlob.BaseDirectory(pattern)
                : Directory.Exists(pattern) ? pattern
                : Path.GetDirectoryName(Path.GetFullPath(pattern)) ?? "/";
            string relative = Path.GetRelativePath(Path.GetFullPath(folder), full);
            if (relative != full && !relative.StartsWith("..", StringComparison.Ordinal))
                return relative.Replace('\\', '/');
        }
        return Path.GetFileName(full);
    }
}
