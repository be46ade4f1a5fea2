namespace NExtLong.Corpus;

/// <summary>Why a record of a corpus file did not become a <see cref="CorpusDocument"/>.</summary>
public enum CorpusSkipReason
{
    /// <summary>Not a JSON object, or a Parquet row group that could not be decoded.</summary>
    Malformed,

    /// <summary>The line is not valid UTF-8, or the text holds an unpaired surrogate escape.</summary>
    InvalidUtf8,

    /// <summary>The text field is absent, null or not a string.</summary>
    MissingText,

    /// <summary>The text is longer than <see cref="CorpusReadOptions.MaxDocumentChars"/>.</summary>
    TooLarge,

    /// <summary>The text is empty or whitespace only; never an error.</summary>
    Empty,

    /// <summary>
    /// A compressed or Parquet file broke off (truncated or corrupt stream, unreadable footer); counted once per file,
    /// nothing after the break can be read.
    /// </summary>
    TruncatedTail,
}
