namespace NExtLong.Corpus;

/// <summary>What reading one corpus file gave: documents read and records skipped by reason. Safe to read while
/// other threads count.</summary>
public sealed class CorpusFileCounts
{
    private long _documentsRead;
    private readonly long[] _skipped = new long[Enum.GetValues<CorpusSkipReason>().Length];

    internal CorpusFileCounts(string path) => Path = path;

    /// <summary>The file, as <see cref="CorpusReader.ResolveFiles"/> gives it.</summary>
    public string Path { get; }

    /// <summary>Documents this file gave.</summary>
    public long DocumentsRead => Interlocked.Read(ref _documentsRead);

    /// <summary>Records of this file skipped for <paramref name="reason"/>.</summary>
    public long Skipped(CorpusSkipReason reason) => Interlocked.Read(ref _skipped[(int)reason]);

    /// <summary>Records of this file skipped for any reason.</summary>
    public long SkippedTotal
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _skipped.Length; i++)
                total += Interlocked.Read(ref _skipped[i]);
            return total;
        }
    }

    internal void AddDocument() => Interlocked.Increment(ref _documentsRead);

    internal void AddDocuments(long count) => Interlocked.Add(ref _documentsRead, count);

    internal void AddSkipped(CorpusSkipReason reason, long count) => Interlocked.Add(ref _skipped[(int)reason], count);
}
