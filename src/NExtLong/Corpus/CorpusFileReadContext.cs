namespace NExtLong.Corpus;

/// <summary>
/// What the format readers share while reading one file: where documents come from, and the one place that decides
/// whether a bad record throws or is counted.
/// </summary>
internal sealed class CorpusFileReadContext
{
    private readonly CorpusReadOptions _options;
    private readonly CorpusReadReport _report;
    private readonly CorpusFileCounts _counts;

    public CorpusFileReadContext(
        CorpusSource source, string path, string relativePath, CorpusReadOptions options, CorpusReadReport report)
    {
        Source = source;
        Path = path;
        RelativePath = relativePath;
        _options = options;
        _report = report;
        _counts = report.ForFile(path);
    }

    public CorpusSource Source { get; }

    /// <summary>The file as given; starts every location and error message.</summary>
    public string Path { get; }

    /// <summary>Whether a compressed file is decompressed ahead of parsing on a thread of its own (<see cref="CorpusReadOptions.DecompressAhead"/>).</summary>
    public bool DecompressAhead => _options.DecompressAhead;

    /// <summary>The file relative to its source folder; starts the ids of records without one.</summary>
    public string RelativePath { get; }

    /// <summary>
    /// Makes the document, or returns null after rejecting the text for being empty (always counted, never an error) or
    /// longer than <see cref="CorpusReadOptions.MaxDocumentChars"/>.
    /// </summary>
    /// <param name="text">The record's text field.</param>
    /// <param name="id">The document id: the record's id field, else "file:line" or "file#row".</param>
    /// <param name="location">"path:line" or "path#row", as <see cref="CorpusDocument.Location"/> keeps it.</param>
    /// <param name="number">The record's line (JSON lines, 1-based) or row (Parquet, 0-based).</param>
    /// <param name="rowGroup">The Parquet row group of the row; -1 for JSON lines.</param>
    /// <exception cref="CorpusFormatException">The text is too long and bad records fail the read.</exception>
    public CorpusDocument? Accept(string text, string id, string location, long number, int rowGroup = -1)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            Reject(CorpusSkipReason.Empty, location, Where(number, rowGroup), "the text is empty or whitespace only");
            return null;
        }
        // A string has at least as many UTF-16 units as scalar values, so only long strings need counting.
        if (_options.MaxDocumentChars is int max && text.Length > max && TextLength.Of(text) is int chars && chars > max)
        {
            Reject(CorpusSkipReason.TooLarge, location, Where(number, rowGroup), $"the text has {chars:N0} characters, more than the cap of {max:N0}");
            return null;
        }
        _report.AddDocument(_counts);
        return new CorpusDocument(id, text, Source.Name, location) { Record = number };
    }

    /// <summary>How an error message names a record: "line 12", or "row 7 (row group 0)".</summary>
    public static string Where(long number, int rowGroup = -1) =>
        rowGroup < 0 ? $"line {number}" : $"row {number} (row group {rowGroup})";

    /// <summary>
    /// Throws a <see cref="CorpusFormatException"/> when bad records fail the read, else counts
    /// <paramref name="count"/> records as skipped. Empty texts are only ever counted.
    /// </summary>
    public void Reject(
        CorpusSkipReason reason, string location, string where, string detail, long count = 1, Exception? cause = null)
    {
        if (_options.OnBadRecord == CorpusBadRecordAction.Fail && reason != CorpusSkipReason.Empty)
            throw new CorpusFormatException($"{Path}, {where}: {detail}", Path, reason, cause);
        _report.AddSkip(_counts, new CorpusSkip(reason, location, detail, count));
    }
}
