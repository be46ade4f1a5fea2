namespace NExtLong.Synthesis;

/// <summary>
/// The number k of hard negatives per meta-chunk, paper Appendix C.1 (Eq. 8–12): the characters needed,
/// Q = T·E·w, less the meta-document's own S characters, spread evenly over its p meta-chunks of s characters:
/// k = ⌈(T·E·w − S) / (p·s)⌉. The ceiling keeps the document from falling short by a fraction of a chunk;
/// k is at least 1 so that every meta-chunk is followed by negatives even when the meta-document alone is long.
/// </summary>
public static class HardNegativeCount
{
    /// <summary>The adjustment factor w of Eq. 8, 1.5 in the paper's experiments.</summary>
    public const double DefaultOversampling = 1.5;

    /// <summary>k = ⌈(T·E·w − S) / (p·s)⌉, at least 1.</summary>
    /// <param name="targetTokens">T, the target length in tokens.</param>
    /// <param name="charsPerToken">E, the tokenizer's encoding rate in characters per token.</param>
    /// <param name="oversampling">w, the adjustment factor (default 1.5); positive.</param>
    /// <param name="metaDocumentChars">S, the meta-document's length in characters.</param>
    /// <param name="metaChunks">p, the number of meta-chunks.</param>
    /// <param name="chunkChars">s, the chunking granularity in characters.</param>
    /// <exception cref="ArgumentOutOfRangeException">T, p or s is below 1, or E or w is not positive.</exception>
    public static int Compute(int targetTokens, double charsPerToken, double oversampling, long metaDocumentChars, int metaChunks, int chunkChars)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(targetTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(charsPerToken, 0);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(oversampling, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(metaChunks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkChars, 1);
        double q = targetTokens * charsPerToken * oversampling;
        double k = Math.Ceiling((q - metaDocumentChars) / ((double)metaChunks * chunkChars));
        return (int)Math.Clamp(k, 1, int.MaxValue);
    }
}
