using System.IO.Compression;
using System.Reflection;
using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>
/// cl100k_base and o200k_base built from the rank tables that Microsoft.ML.Tokenizers.Data.* embed, with
/// tiktoken's own pre-tokenization over Unicode scalar values (<see cref="TiktokenPreTokenizer"/>; the library's
/// UTF-16 regexes miscount supplementary-plane letters and digits), which does not split out special tokens.
/// </summary>
/// <remarks>
/// Why not <see cref="TiktokenTokenizer.CreateForEncoding"/>: Microsoft.ML.Tokenizers 2.0.1 recognizes special
/// tokens only through entries in its evictable LRU word cache, so "&lt;|endoftext|&gt;" in a text encodes as the
/// special id until 8192 other words have been cached and as plain text after that. Counts must not depend on
/// history, so special-token strings in text are always plain text here (tiktoken's encode_ordinary; Meta's
/// Llama 3 tokenizer.py does the same by default). No pre-token can equal a special token, so the cache entries
/// the library still adds for them are never hit.
/// </remarks>
internal static class OpenAiEncodings
{
    public const string EndOfText = "<|endoftext|>";

    /// <summary>The table of "cl100k_base" or "o200k_base".</summary>
    public static TiktokenTable Table(string encoding) => encoding switch
    {
        "cl100k_base" => Table("Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", TiktokenPreTokenizer.Cl100k,
            new Dictionary<string, int>
            {
                [EndOfText] = 100257, ["<|fim_prefix|>"] = 100258, ["<|fim_middle|>"] = 100259,
                ["<|fim_suffix|>"] = 100260, ["<|endofprompt|>"] = 100276,
            }),
        "o200k_base" => Table("Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate", TiktokenPreTokenizer.O200k,
            new Dictionary<string, int> { [EndOfText] = 199999, ["<|endofprompt|>"] = 200018 }),
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "not an OpenAI encoding this class builds"),
    };

    private static TiktokenTable Table(string assembly, string resource, TiktokenPreTokenizer preTokenizer, Dictionary<string, int> specialTokens)
    {
        Stream ranks = Assembly.Load(assembly).GetManifestResourceStream(resource)
                       ?? throw new InvalidOperationException($"{assembly} no longer embeds {resource}.");
        using var inflated = new DeflateStream(ranks, CompressionMode.Decompress);
        using var text = new MemoryStream();
        inflated.CopyTo(text);
        return new TiktokenTable(text.ToArray(), preTokenizer, specialTokens);
    }
}
