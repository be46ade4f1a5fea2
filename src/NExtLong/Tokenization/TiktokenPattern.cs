namespace NExtLong.Tokenization;

/// <summary>The pre-tokenizer regexes of the tiktoken encodings <see cref="TiktokenPreTokenizer"/> implements.</summary>
internal enum TiktokenPattern
{
    /// <summary>
    /// cl100k_base as tiktoken (tiktoken_ext/openai_public.py) now writes it, with possessive quantifiers:
    /// <c>'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s</c>.
    /// </summary>
    Cl100k,

    /// <summary>
    /// Meta Llama 3's (tokenizer.py and tokenizer.json), cl100k_base's original form:
    /// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
    /// It differs from <see cref="Cl100k"/> only on a whitespace run that ends the text and holds a line break
    /// before other whitespace ("\n  " at the end: two pre-tokens here, one in cl100k's <c>\s++$</c>).
    /// </summary>
    Llama3,

    /// <summary>
    /// o200k_base: <c>[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
    /// [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}|
    /// ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
    /// </summary>
    O200k,
}
