namespace NExtLong.Tokenization;

/// <summary>A prefix of a text chosen by <see cref="TargetTokenizer.TruncateToTokens(string, int)"/>.</summary>
/// <param name="Status">Whether the prefix has exactly the target token count, and if not, why.</param>
/// <param name="Length">Prefix length in UTF-16 code units; never splits a surrogate pair.</param>
/// <param name="TokenCount">Token count of that prefix encoded on its own (no BOS/EOS).</param>
public readonly record struct TruncatedText(TruncationStatus Status, int Length, int TokenCount)
{
    /// <summary>True when the prefix has exactly the target token count (<see cref="TruncationStatus.Exact"/>).</summary>
    public bool IsExact => Status == TruncationStatus.Exact;
}
