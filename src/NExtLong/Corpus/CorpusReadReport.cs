using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace NExtLong.Corpus;

/// <summary>
/// Counts what reading a corpus gave: documents read and records skipped by reason, in total and per file, and keeps
/// the first few skip locations so that a run can say where its input was bad. Safe to share between threads that
/// read different files.
/// </summary>
public sealed class CorpusReadReport
{
    private readonly ConcurrentDictionary<string, CorpusFileCounts> _files = new(StringComparer.Ordinal);
    // All files together are counted the way one file is.
    private readonly CorpusFileCounts _all = new("");
    private readonly List<CorpusSkip> _firstSkips = [];
    // Lets the common case of many skips avoid the lock once the kept locations are full.
    private bool _firstSkipsFull;

    /// <summary>An empty report.</summary>
    /// <param name="skipLocationsKept">How many skip locations to keep (the first ones recorded); default 20, not negative.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="skipLocationsKept"/> is negative.</exception>
    public CorpusReadReport(int skipLocationsKept = 20)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(skipLocationsKept);
        SkipLocationsKept = skipLocationsKept;
    }

    /// <summary>How many skip locations <see cref="FirstSkips"/> keeps at most.</summary>
    public int SkipLocationsKept { get; }

    /// <summary>Documents read from all files.</summary>
    public long DocumentsRead => _all.DocumentsRead;

    /// <summary>Records skipped for <paramref name="reason"/> in all files.</summary>
    public long Skipped(CorpusSkipReason reason) => _all.Skipped(reason);

    /// <summary>Records skipped for any reason in all files.</summary>
    public long SkippedTotal => _all.SkippedTotal;

    /// <summary>The files read so far, in ordinal order of path.</summary>
    public IReadOnlyList<CorpusFileCounts> Files =>
        _files.Values.OrderBy(f => f.Path, StringComparer.Ordinal).ToArray();

    /// <summary>The first <see cref="SkipLocationsKept"/> skips, in the order they were recorded.</summary>
    public IReadOnlyList<CorpusSkip> FirstSkips
    {
        get
        {
            lock (_firstSkips)
                return _firstSkips.ToArray();
        }
    }

    /// <summary>
    /// One line for a log, e.g. "1,942 documents read from 1 file; 3 records skipped (malformed 2, empty 1)", followed by
    /// up to <paramref name="locations"/> lines naming where records were skipped.
    /// </summary>
    public string Summary(int locations = 5)
    {
        var text = new StringBuilder();
        int files = _files.Count;
        text.Append(CultureInfo.InvariantCulture,
            $"{DocumentsRead:N0} documents read from {files:N0} file{(files == 1 ? "" : "s")}; ");
        long skipped = SkippedTotal;
        if (skipped == 0)
            return text.Append("no records skipped").ToString();

        text.Append(CultureInfo.InvariantCulture, $"{skipped:N0} record{(skipped == 1 ? "" : "s")} skipped (");
        bool first = true;
        foreach (CorpusSkipReason reason in Enum.GetValues<CorpusSkipReason>())
        {
            long n = Skipped(reason);
            if (n == 0)
                continue;
            text.Append(first ? "" : ", ").Append(ReasonName(reason)).Append(' ')
                .Append(n.ToString("N0", CultureInfo.InvariantCulture));
            first = false;
        }
        text.Append(')');
        foreach (CorpusSkip skip in FirstSkips.Take(locations))
            text.Append('\n').Append("  ").Append(ReasonName(skip.Reason)).Append(" at ").Append(skip.Location)
                .Append(": ").Append(skip.Detail);
        return text.ToString();
    }

    /// <summary>The reason as the summary writes it: "malformed", "invalid-utf8", "missing-text", "too-large",
    /// "empty", "truncated-tail".</summary>
    public static string ReasonName(CorpusSkipReason reason) => reason switch
    {
        CorpusSkipReason.Malformed => "malformed",
        CorpusSkipReason.InvalidUtf8 => "invalid-utf8",
        CorpusSkipReason.MissingText => "missing-text",
        CorpusSkipReason.TooLarge => "too-large",
        CorpusSkipReason.Empty => "empty",
        CorpusSkipReason.TruncatedTail => "truncated-tail",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    internal CorpusFileCounts ForFile(string path) => _files.GetOrAdd(path, p => new CorpusFileCounts(p));

    internal void AddDocument(CorpusFileCounts file)
    {
        _all.AddDocument();
        file.AddDocument();
    }

    internal void AddSkip(CorpusFileCounts file, CorpusSkip skip)
    {
        _all.AddSkipped(skip.Reason, skip.Count);
        file.AddSkipped(skip.Reason, skip.Count);
        if (Volatile.Read(ref _firstSkipsFull))
            return;
        lock (_firstSkips)
        {
            if (_firstSkips.Count < SkipLocationsKept)
                _firstSkips.Add(skip);
            else
                _firstSkipsFull = true;
        }
    }

    /// <summary>What one file gave, as <see cref="TakeSnapshot"/> records it.</summary>
    /// <param name="Path">The file, as the report counted it.</param>
    /// <param name="DocumentsRead">Documents the file gave.</param>
    /// <param name="Skipped">Records skipped, by reason; reasons without a skip are left out.</param>
    public sealed record FileSnapshot(string Path, long DocumentsRead, Dictionary<CorpusSkipReason, long> Skipped);

    /// <summary>A report in a form that can be saved and added to another (the ranks of a distributed stage each keep one).</summary>
    /// <param name="Files">Every file read, with its counts.</param>
    /// <param name="FirstSkips">The skip locations kept, the first ones recorded.</param>
    public sealed record Snapshot(IReadOnlyList<FileSnapshot> Files, IReadOnlyList<CorpusSkip> FirstSkips);

    /// <summary>The counts so far, per file (only reasons with skips), with the kept skip locations; see <see cref="Add"/>.</summary>
    public Snapshot TakeSnapshot() => new(
        Files.Select(f => new FileSnapshot(f.Path, f.DocumentsRead,
            Enum.GetValues<CorpusSkipReason>().Where(r => f.Skipped(r) > 0).ToDictionary(r => r, f.Skipped))).ToList(),
        FirstSkips);

    /// <summary>Counts what <paramref name="snapshot"/> counted as if this report had read its files, after the files read so far.</summary>
    public void Add(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        foreach (var file in snapshot.Files)
        {
            var counts = ForFile(file.Path);
            _all.AddDocuments(file.DocumentsRead);
            counts.AddDocuments(file.DocumentsRead);
            foreach (var (reason, n) in file.Skipped)
            {
                _all.AddSkipped(reason, n);
                counts.AddSkipped(reason, n);
            }
        }
        lock (_firstSkips)
            foreach (var skip in snapshot.FirstSkips)
                if (_firstSkips.Count < SkipLocationsKept) _firstSkips.Add(skip);
    }
}
