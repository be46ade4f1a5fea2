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

    /// <summary>XxHash3 of a corpus file's bytes as 16 hex digits: what an index or dataset records to know its inputs by content.</summary>
    public static string ContentOf(string path, CancellationToken ct = default)
    {
        var hash = new XxHash3();
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int n;
            while ((n = fs.Read(buffer, 0, 1 << 20)) > 0)
            {
                ct.ThrowIfCancellationRequested();
                hash.Append(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
