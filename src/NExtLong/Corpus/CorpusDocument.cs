namespace NExtLong.Corpus;

/// <summary>One short document of a pretraining corpus, as read from its source file.</summary>
/// <param name="Id">The document's id: the id field when the record has one, else "file:line" / "file#row".</param>
/// <param name="Text">The document text.</param>
/// <param name="Source">The name of the corpus source it came from (e.g. "fineweb-edu").</param>
/// <param name="Location">Where it was read: "path:line" for JSONL, "path#row" for Parquet; used in error messages.</param>
public sealed record CorpusDocument(string Id, string Text, string Source, string Location)
{
    /// <summary>Its record in the file: the line (JSON lines, 1-based) or row (Parquet, 0-based); 0 when not read from a file.</summary>
    public long Record { get; internal init; }
}
