namespace NExtLong.Corpus;

/// <summary>What a corpus reader does with a record it cannot use (malformed, invalid UTF-8, no text, too large).</summary>
public enum CorpusBadRecordAction
{
    /// <summary>Throw a <see cref="CorpusFormatException"/> naming the file and line or row.</summary>
    Fail,

    /// <summary>Count the record in the <see cref="CorpusReadReport"/> and go on with the next one.</summary>
    Skip,
}
