namespace NExtLong.Tokenization;

/// <summary>
/// Where fetched tokenizer files live: under the user's cache (<see cref="UserCache"/>), which
/// tools/tokenizers/fetch-llama3.sh and tools/tokenizers/llama3-ids.mjs resolve the same way.
/// </summary>
internal static class TokenizerCache
{
    public const string Llama3FetchScript = "tools/tokenizers/fetch-llama3.sh";

    public static string Llama3TokenizerJson() => Path.Combine(UserCache.Root(), "tokenizers", "llama3", "tokenizer.json");
}
