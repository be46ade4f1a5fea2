using System.IO.Hashing;

namespace NExtLong;

/// <summary>File checksums as 16 hex digits; <c>ct</c> is checked every block (a few milliseconds of hashing).</summary>
internal static class FileChecksum
{
    private const int BlockBytes = 4 << 20;

    /// <summary>XxHash64 of the file: cheap enough to check every file of an index when it opens.</summary>
    public static string Of(string path, CancellationToken ct = default) => Hash(new XxHash64(), path, ct);

    /// <summary>XxHash3 of a corpus file: what an index or dataset records to know its inputs by content.</summary>
    public static string ContentOf(string path, CancellationToken ct = default) => Hash(new XxHash3(), path, ct);

    /// <summary>As <see cref="ContentOf(string, CancellationToken)"/>, of a file open as <paramref name="handle"/> (<paramref name="path"/> names it in errors).</summary>
    public static string ContentOf(Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, CancellationToken ct = default)
        => Hash(new XxHash3(), handle, path, ct);

    /// <summary>
    /// An index file's checksum as its manifest records it: "xxh3:" and XxHash3, which runs at about 1.5 times
    /// XxHash64's speed (7–8 against 4.9 GB/s here), and an index is hashed whole every time a run opens it.
    /// </summary>
    public static string OfIndexFile(string path, CancellationToken ct = default) => Xxh3Prefix + ContentOf(path, ct);

    /// <summary>
    /// Whether an index file, as the index has it open (read through the handle its mapping was made from), hashes to
    /// <paramref name="recorded"/>: "xxh3:…" by XxHash3, else (indexes built before it) XxHash64.
    /// </summary>
    public static bool Matches(Index.MappedFile file, string recorded, CancellationToken ct = default)
    {
        bool xxh3 = recorded.StartsWith(Xxh3Prefix, StringComparison.Ordinal);
        string hash = HashOf(xxh3 ? new XxHash3() : new XxHash64(), file, ct);
        return (xxh3 ? Xxh3Prefix + hash : hash) == recorded;
    }

    private const string Xxh3Prefix = "xxh3:";

    private static string HashOf(NonCryptographicHashAlgorithm hash, Index.MappedFile mapped, CancellationToken ct)
    {
        mapped.HashInto(hash, 0, ct);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    private static string Hash(NonCryptographicHashAlgorithm hash, string path, CancellationToken ct)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        return Hash(hash, handle, path, ct);
    }

    private static string Hash(NonCryptographicHashAlgorithm hash, Microsoft.Win32.SafeHandles.SafeFileHandle handle, string path, CancellationToken ct)
    {
        Append(hash, handle, 0, RandomAccess.GetLength(handle), path, ct);
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    /// <summary>
    /// Appends bytes [<paramref name="from"/>, <paramref name="to"/>) of an open file to <paramref name="hash"/>, read
    /// 4 MiB at a time into one buffer; a file shorter than <paramref name="to"/> is an error naming
    /// <paramref name="path"/>.
    /// </summary>
    internal static void Append(NonCryptographicHashAlgorithm hash, Microsoft.Win32.SafeHandles.SafeFileHandle handle, long from, long to, string path,
        CancellationToken ct = default)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(BlockBytes);
        try
        {
            for (long at = from; at < to;)
            {
                ct.ThrowIfCancellationRequested();
                int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(BlockBytes, to - at)), at);
                if (read == 0) throw new IOException($"{path}: ends at {at} bytes, not {to}; the file changed while it was read");
                hash.Append(buffer.AsSpan(0, read));
                at += read;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
