using System.Text.Json;

namespace NExtLong.Dedup;

/// <summary>
/// stats.json of a dedup output: documents and text bytes (UTF-8) read, kept and removed by kind (exact: the same text
/// as its kept copy up to NFC, case and whitespace; near: a MinHash candidate of it), record bytes written, documents
/// too short for a signature (never near-removed), clusters with a removed copy, bad records skipped, and the shards.
/// </summary>
/// <param name="Method">"exact" or "minhash".</param>
/// <param name="DocumentsRead">Documents read from the inputs.</param>
/// <param name="DocumentsKept">Documents written: the first copy of each, in input order.</param>
/// <param name="RemovedExact">Documents removed as exact copies of a kept one.</param>
/// <param name="RemovedNear">Documents removed as near copies (MinHash candidates) of a kept one.</param>
/// <param name="TextBytesRead">UTF-8 bytes of the texts read.</param>
/// <param name="TextBytesKept">UTF-8 bytes of the texts kept.</param>
/// <param name="TextBytesRemovedExact">UTF-8 bytes of the texts removed as exact copies.</param>
/// <param name="TextBytesRemovedNear">UTF-8 bytes of the texts removed as near copies.</param>
/// <param name="RecordBytesKept">Bytes of the kept records as written (every input field, not only the text).</param>
/// <param name="DocumentsWithoutSignature">Documents of fewer than 5 words: no MinHash signature, so never near-removed.</param>
/// <param name="Clusters">Groups of copies with at least one removed member.</param>
/// <param name="RecordsSkipped">Bad input records skipped and counted.</param>
/// <param name="Files">The kept records' shards, one per input file, by name in the output folder.</param>
public sealed record DedupStats(string Method, long DocumentsRead, long DocumentsKept, long RemovedExact, long RemovedNear,
    long TextBytesRead, long TextBytesKept, long TextBytesRemovedExact, long TextBytesRemovedNear, long RecordBytesKept,
    long DocumentsWithoutSignature, long Clusters, long RecordsSkipped, IReadOnlyList<string> Files)
{
    /// <summary>How stats.json is written and read: indented, snake_case property names.</summary>
    public static readonly JsonSerializerOptions Json = JsonContracts.Make(new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower });

    /// <summary>Documents removed as copies, exact and near together.</summary>
    public long Removed => RemovedExact + RemovedNear;
}
