namespace NExtLong.Corpus;

/// <summary>How <see cref="CorpusReader"/> treats records it cannot use.</summary>
public sealed record CorpusReadOptions
{
    /// <summary>Throw on the first bad record (the default), or count it and go on.</summary>
    public CorpusBadRecordAction OnBadRecord { get; init; } = CorpusBadRecordAction.Fail;

    /// <summary>
    /// Documents with more characters than this (Unicode scalar values, as <see cref="TextLength"/> counts them) are
    /// bad records of reason <see cref="CorpusSkipReason.TooLarge"/>; null means no cap.
    /// </summary>
    public int? MaxDocumentChars
    {
        get => _maxDocumentChars;
        init => _maxDocumentChars = value is null or > 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxDocumentChars), value, "must be positive");
    }

    private readonly int? _maxDocumentChars;

    /// <summary>
    /// Decompress a gzip or zstd file on a thread of its own, a few blocks ahead of parsing (<see cref="ReadAheadStream"/>):
    /// for readers that have a core to spare and read whole corpora, such as choosing meta-documents. Same documents.
    /// </summary>
    internal bool DecompressAhead { get; init; }
}
