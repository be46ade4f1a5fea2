namespace NExtLong.Tokenization;

/// <summary>Outcome of <see cref="TargetTokenizer.TruncateToTokens(string, int)"/>.</summary>
public enum TruncationStatus
{
    /// <summary>The prefix has exactly the target number of tokens, and one more scalar value would exceed it.</summary>
    Exact,

    /// <summary>The whole text has fewer tokens than the target; the "prefix" is the whole text.</summary>
    TextTooShort,

    /// <summary>
    /// No prefix has exactly the target count where the count first passes it: the next scalar value adds
    /// two or more tokens at once (typically a rare CJK character or an emoji split into byte tokens).
    /// The prefix is the longest one below the target.
    /// </summary>
    NoExactCut,
}
