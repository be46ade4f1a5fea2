namespace NExtLong.Tokenization;

/// <summary>
/// What <see cref="ExactTruncation"/> and <see cref="TargetTokenizer"/> encode with: one thread's encoder, ids
/// without BOS/EOS, special-token strings as plain text.
/// </summary>
internal interface ITokenEncoder
{
    IReadOnlyList<int> EncodeToIds(ReadOnlySpan<char> text);

    int CountTokens(ReadOnlySpan<char> text);

    /// <summary>
    /// Microsoft.ML.Tokenizers' GetIndexByTokenCount from the start: the end of the longest prefix whose encoding,
    /// pre-token by pre-token, fits <paramref name="maxTokens"/> without splitting a character; <paramref name="tokens"/>
    /// its count. With a normalizer the index is into <paramref name="normalized"/>.
    /// </summary>
    int IndexByTokenCount(ReadOnlySpan<char> text, int maxTokens, out string? normalized, out int tokens);
}
