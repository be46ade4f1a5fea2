using System.Text.Json;

namespace NExtLong.Dedup;

/// <summary>
/// stats.json of a dedup output: documents and text bytes (UTF-8) read, kept and removed by kind (exact: the same text
/// as its kept copy up to NFC, case and whitespace; near: a MinHash candidate of it), record bytes written, documents
/// too short for a signature (never near-removed), clusters with a removed copy, bad records skipped, and the shards.
/// </summary>
public sealed record DedupStats(string Method, long DocumentsRead, long DocumentsKept, long RemovedExact, long RemovedNear,
    long TextBytesRead, long TextBytesKept, long TextBytesRemovedExact, long TextBytesRemovedNear, long RecordBytesKept,
    long DocumentsWithoutSignature, long Clusters, long RecordsSkipped, IReadOnlyList<string> Files)
{
    /// <summary>How stats.json is written and read: indented, snake_case property names.</summary>
    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Documents removed as copies, exact and near together.</summary>
    public long Removed => RemovedExact + RemovedNear;
}
