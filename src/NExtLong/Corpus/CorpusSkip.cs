namespace NExtLong.Corpus;

/// <summary>Where and why records were skipped while reading a corpus.</summary>
/// <param name="Reason">Why.</param>
/// <param name="Location">"path:line", "path#row", or a Parquet row group ("path row group 3").</param>
/// <param name="Detail">What was wrong, for a human.</param>
/// <param name="Count">How many records this covers: 1, or the rows of a row group that could not be decoded.</param>
public sealed record CorpusSkip(CorpusSkipReason Reason, string Location, string Detail, long Count);
