namespace NExtLong.Chunking;

/// <summary>A chunk as a contiguous slice [Start, Start+Length) of its (newline-normalised) document, in UTF-16 units.</summary>
/// <param name="Start">The chunk's first UTF-16 unit in the document.</param>
/// <param name="Length">The chunk's length in UTF-16 units.</param>
public readonly record struct ChunkSpan(int Start, int Length)
{
    /// <summary>One past the chunk's last UTF-16 unit: <c>Start + Length</c>.</summary>
    public int End => Start + Length;

    /// <summary>The chunk's text within <paramref name="document"/>, which must be the prepared text the span was cut from.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The span lies outside <paramref name="document"/>.</exception>
    public ReadOnlySpan<char> Of(string document) => document.AsSpan(Start, Length);
}
