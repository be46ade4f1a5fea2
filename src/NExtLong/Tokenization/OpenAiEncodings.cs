using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>
/// cl100k_base and o200k_base built from the rank tables that Microsoft.ML.Tokenizers.Data.* embed, with the
/// library's own regexes but a pre-tokenizer that does not split out special tokens.
/// </summary>
/// <remarks>
/// Why not <see cref="TiktokenTokenizer.CreateForEncoding"/>: Microsoft.ML.Tokenizers 2.0.1 recognizes special
/// tokens only through entries in its evictable LRU word cache, so "&lt;|endoftext|&gt;" in a text encodes as the
/// special id until 8192 other words have been cached and as plain text after that. Counts must not depend on
/// history, so special-token strings in text are always plain text here (tiktoken's encode_ordinary; Meta's
/// Llama 3 tokenizer.py does the same by default). No pre-token can equal a special token, so the cache entries
/// the library still adds for them are never hit.
/// </remarks>
internal static partial class OpenAiEncodings
{
    /// <summary>The patterns Microsoft.ML.Tokenizers 2.0.1 uses for these encodings, so ids stay identical.</summary>
    public const string Cl100kPattern =
        @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)(?>\p{L}+)|(?>\p{N}{1,3})| ?(?>[^\s\p{L}\p{N}]+)(?>[\r\n]*)|(?>\s+)$|\s*[\r\n]|\s+(?!\S)|\s";

    public const string O200kPattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const string EndOfText = "<|endoftext|>";

    [GeneratedRegex(Cl100kPattern)]
    private static partial Regex Cl100kRegex();

    [GeneratedRegex(O200kPattern)]
    private static partial Regex O200kRegex();

    /// <summary>Creates "cl100k_base" or "o200k_base".</summary>
    public static TiktokenTokenizer Create(string encoding) => encoding switch
    {
        "cl100k_base" => Create("Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", Cl100kRegex(),
            new Dictionary<string, int>
            {
                [EndOfText] = 100257, ["<|fim_prefix|>"] = 100258, ["<|fim_middle|>"] = 100259,
                ["<|fim_suffix|>"] = 100260, ["<|endofprompt|>"] = 100276,
            }),
        "o200k_base" => Create("Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate", O200kRegex(),
            new Dictionary<string, int> { [EndOfText] = 199999, ["<|endofprompt|>"] = 200018 }),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "not an OpenAI encoding this class builds"),
    };

    private static TiktokenTokenizer Create(string assembly, string resource, Regex regex, Dictionary<string, int> specialTokens)
    {
        Stream ranks = Assembly.Load(assembly).GetManifestResourceStream(resource)
                       ?? throw new InvalidOperationException($"{assembly} no longer embeds {resource}.");
        using var inflated = new DeflateStream(ranks, CompressionMode.Decompress);
        return TiktokenTokenizer.Create(inflated, new RegexPreTokenizer(regex, specialTokens: null), normalizer: null, specialTokens);
    }
}
