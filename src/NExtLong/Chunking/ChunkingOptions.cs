namespace NExtLong.Chunking;

/// <summary>
/// How corpus documents are cut into chunks: the granularity s and the mode. `index`, `embed` and `chunks` take the
/// same settings, so that their chunks, vectors and shards line up; they and their checks are defined here once.
/// </summary>
public sealed record ChunkingOptions
{
    /// <summary>The mode used when none is given: paragraphs packed without the reference script's quirks.</summary>
    public const ChunkingMode DefaultMode = ChunkingMode.Clean;

    /// <summary>The chunking granularity s in characters, <see cref="ParagraphChunker.MinChunkChars"/> to <see cref="ParagraphChunker.MaxChunkChars"/>.</summary>
    public int ChunkChars { get; init; } = ParagraphChunker.DefaultMaxChars;

    /// <summary>Clean chunking, or the authors' chunking.py reproduced exactly (python-compat).</summary>
    public ChunkingMode ChunkingMode { get; init; } = DefaultMode;

    /// <summary>Throws an <see cref="OptionValidationException"/> for the first option out of range.</summary>
    public void Validate()
    {
        OptionValidationException.InRange(nameof(ChunkChars), ChunkChars, ParagraphChunker.MinChunkChars, ParagraphChunker.MaxChunkChars);
        OptionValidationException.Defined(nameof(ChunkingMode), ChunkingMode);
    }

    /// <summary>The chunker these settings make.</summary>
    internal ParagraphChunker Chunker() => new(ChunkChars, ChunkingMode);
}
