namespace NExtLong.Tokenization;

/// <summary>
/// Where fetched tokenizer files live: $NEXTLONG_CACHE, else $XDG_CACHE_HOME/nextlong, else ~/.cache/nextlong.
/// tools/tokenizers/fetch-llama3.sh and tools/tokenizers/llama3-ids.mjs resolve the same directory.
/// </summary>
internal static class TokenizerCache
{
    public const string EnvironmentVariable = "NEXTLONG_CACHE";
    public const string Llama3FetchScript = "tools/tokenizers/fetch-llama3.sh";

    public static string Root()
    {
        string? explicitRoot = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(explicitRoot))
            return explicitRoot;
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg))
            return Path.Combine(xdg, "nextlong");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "nextlong");
    }

    public static string Llama3TokenizerJson() => Path.Combine(Root(), "tokenizers", "llama3", "tokenizer.json");
}
