namespace NExtLong.Tokenization;

/// <summary>
/// Where fetched tokenizer files live: $NEXTLONG_CACHE, else $XDG_CACHE_HOME/nextlong, else ~/.cache/nextlong.
/// tools/tokenizers/fetch-llama3.sh and tools/tokenizers/llama3-ids.mjs resolve the same directory.
/// </summary>
internal static class TokenizerCache
{
    public const string EnvironmentVariable = UserCache.EnvironmentVariable;
    public const string Llama3FetchScript = "tools/tokenizers/fetch-llama3.sh";

    public static string Root() => UserCache.Root();

    public static string Llama3TokenizerJson() => Path.Combine(Root(), "tokenizers", "llama3", "tokenizer.json");
}
