namespace NExtLong.Chunking;

/// <summary>A chunk as a contiguous slice [Start, Start+Length) of its (newline-normalised) document, in UTF-16 units.</summary>
public readonly record struct ChunkSpan(int Start, int Length)
{
    public int End => Start + Length;

    public ReadOnlySpan<char> Of(string document) => document.AsSpan(Start, Length);
}
