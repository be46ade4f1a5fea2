namespace NExtLong.Chunking;

/// <summary>How <see cref="ParagraphChunker"/> packs paragraphs into chunks of at most s characters (paper §3.1.1).</summary>
public enum ChunkingMode
{
    /// <summary>
    /// The paper's packing with the defects of the authors' chunking.py fixed: the newline separators count
    /// toward s, no chunk is empty or blank, and no chunk exceeds s (long paragraphs are split at sentence
    /// ends, then at whitespace, then hard).
    /// </summary>
    Clean,

    /// <summary>
    /// Exactly what the authors' chunking.py returns (separators not counted, oversized paragraphs kept whole,
    /// empty chunks possible), for reproducing their data. Blank chunks are still never embedded by the indexer.
    /// </summary>
    PythonCompat,
}
