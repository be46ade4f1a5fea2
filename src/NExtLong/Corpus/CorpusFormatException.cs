namespace NExtLong.Corpus;

/// <summary>A corpus file holds a record or stream that cannot be read; the message names the file and line or row.</summary>
public sealed class CorpusFormatException : Exception
{
    /// <summary>A bad record or stream in <paramref name="filePath"/>.</summary>
    /// <param name="message">The one-line error, naming the file and the line or row.</param>
    /// <param name="filePath">The file that holds the bad input.</param>
    /// <param name="reason">What is wrong, as the read report counts it.</param>
    /// <param name="innerException">The parser's or decompressor's error behind it, if any.</param>
    public CorpusFormatException(string message, string filePath, CorpusSkipReason reason, Exception? innerException = null)
        : base(message, innerException)
    {
        FilePath = filePath;
        Reason = reason;
    }

    /// <summary>The file that holds the bad input.</summary>
    public string FilePath { get; }

    /// <summary>What is wrong, in the terms the report counts skips by.</summary>
    public CorpusSkipReason Reason { get; }
}
