namespace NExtLong.Tokenization;

/// <summary>
/// Meta Llama 3's tokenizer conventions: its pre-tokenizer regex and its 256 special tokens, numbered
/// after the regular ranks as Meta's tokenizer.py numbers them. Also the default layout for bare tiktoken files.
/// </summary>
internal static class Llama3Format
{
    /// <summary>
    /// The Split pattern of Llama 3's tokenizer.json (also cl100k_base's original pattern); encoding uses
    /// <see cref="TiktokenPreTokenizer.Llama3"/>, which implements it over scalar values.
    /// </summary>
    public const string Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public const string BeginOfText = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";
    public const int SpecialTokenCount = 256;

    /// <summary>The special tokens of Meta's tokenizer.py: ids firstId … firstId + 255.</summary>
    public static Dictionary<string, int> SpecialTokens(int firstId)
    {
        string[] named =
        [
            BeginOfText, EndOfText,
            "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
            "<|reserved_special_token_2|>", "<|reserved_special_token_3|>",
            "<|start_header_id|>", "<|end_header_id|>",
            "<|reserved_special_token_4|>", "<|eot_id|>",
        ];
        var tokens = new Dictionary<string, int>(SpecialTokenCount, StringComparer.Ordinal);
        for (int i = 0; i < named.Length; i++)
            tokens.Add(named[i], firstId + i);
        for (int i = named.Length, reserved = 5; i < SpecialTokenCount; i++, reserved++)
            tokens.Add($"<|reserved_special_token_{reserved}|>", firstId + i);
        return tokens;
    }
}
