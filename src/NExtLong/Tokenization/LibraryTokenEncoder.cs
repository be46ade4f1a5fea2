using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>A Microsoft.ML.Tokenizers tokenizer as an <see cref="ITokenEncoder"/> (SentencePiece).</summary>
internal sealed class LibraryTokenEncoder(Tokenizer tokenizer) : ITokenEncoder
{
    public IReadOnlyList<int> EncodeToIds(ReadOnlySpan<char> text) => tokenizer.EncodeToIds(text);

    public int CountTokens(ReadOnlySpan<char> text) => tokenizer.CountTokens(text);

    public int IndexByTokenCount(ReadOnlySpan<char> text, int maxTokens, out string? normalized, out int tokens)
        => tokenizer.GetIndexByTokenCount(text, maxTokens, out normalized, out tokens);
}
