namespace NExtLong.Corpus;

/// <summary>
/// A document together with the record it was read from, for stages that pass records on whole (dedup keeps every
/// input field): <paramref name="Raw"/> is the JSON line verbatim (JSON lines) or the row as one JSON object
/// (Parquet), valid only until the next record is read.
/// </summary>
/// <param name="Document">The document the record gave.</param>
/// <param name="Number">The record's line (JSON lines, 1-based) or row (Parquet, 0-based).</param>
/// <param name="Raw">The record's bytes as described above; not to be kept past the next read.</param>
internal readonly record struct CorpusRecord(CorpusDocument Document, long Number, ReadOnlyMemory<byte> Raw);
