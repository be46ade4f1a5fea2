using System.IO.Hashing;

namespace NExtLong;

/// <summary>XxHash64 of a file's bytes as 16 hex digits: cheap enough to check every file of an index when it opens.</summary>
public static class FileChecksum
{
    public static string Of(string path)
    {
        var hash = new XxHash64();
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        hash.Append(fs);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
