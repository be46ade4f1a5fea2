using Microsoft.ML.Tokenizers;
using NExtLong.Tokenization;

namespace NExtLong.Output;

/// <summary>The number of token ids a tokenizer can produce (largest id + 1, special tokens included).</summary>
internal static class TokenizerVocabulary
{
    public static int Size(TargetTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        // Tiktoken encodings number their special tokens after every regular rank (cl100k_base: up to
        // <|endofprompt|> 100276; o200k_base: 200018; Llama 3: 128255).
        if (tokenizer.TiktokenSpecialTokens is { Count: > 0 } special)
            return special.Values.Max() + 1;
        return tokenizer.Inner switch
        {
            SentencePieceTokenizer s => s.Vocabulary.Values.Concat(s.SpecialTokens?.Values ?? []).Max() + 1,
            var other => throw new NotSupportedException($"{tokenizer.Name}: cannot tell the vocabulary size of a {other.GetType().Name}"),
        };
    }
}
