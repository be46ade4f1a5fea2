namespace NExtLong;

/// <summary>
/// nextlong's folder for what it keeps per user between runs (fetched tokenizers, which index files were verified):
/// $NEXTLONG_CACHE, else $XDG_CACHE_HOME/nextlong, else ~/.cache/nextlong.
/// </summary>
internal static class UserCache
{
    public const string EnvironmentVariable = "NEXTLONG_CACHE";

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
}
