using System.IO.Hashing;

namespace NExtLong;

/// <summary>XxHash64 of a file's bytes as 16 hex digits: cheap enough to check every file of an index when it opens.</summary>
public static class FileChecksum
{
    /// <summary>XxHash64 of the file, hex; <paramref name="ct"/> is checked every block (a few milliseconds of hashing).</summary>
    public static string Of(string path, CancellationToken ct = default)
    {
        var hash = new XxHash64();
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BlockBytes);
        try
        {
            for (int read; (read = fs.Read(buffer, 0, BlockBytes)) > 0;)
            {
                ct.ThrowIfCancellationRequested();
                hash.Append(buffer.AsSpan(0, read));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    private const int BlockBytes = 4 << 20;
}
