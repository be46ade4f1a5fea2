using System.IO.Hashing;
using NExtLong.Index;

namespace NExtLong.Tests;

/// <summary>
/// A mapped index file is checked by reading it through the handle its mapping was made from: the hash is the file's
/// from any offset, across the 4 MiB read blocks, and a file cut short under the check is an error naming it, not a
/// crash (a mapped page past the end would kill the process with SIGBUS).
/// </summary>
public class MappedFileTests
{
    [Fact]
    public void Hashing_a_mapped_file_reads_exactly_its_bytes_from_the_offset_asked()
    {
        string path = Path.Combine(TempDir.Create(), "data.bin");
        var bytes = new byte[(9 << 20) + 12345];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        using var mapped = new MappedFile(path);
        foreach (long from in new long[] { 0, 64, 4 << 20, bytes.Length - 1, bytes.Length })
        {
            var hash = new XxHash3();
            mapped.HashInto(hash, from);
            Assert.Equal(XxHash3.HashToUInt64(bytes.AsSpan((int)from)), hash.GetCurrentHashAsUInt64());
        }
    }

    [Fact]
    public void A_file_cut_short_after_it_was_mapped_fails_the_check_with_its_name()
    {
        string path = Path.Combine(TempDir.Create(), "chunks.text");
        File.WriteAllBytes(path, new byte[6 << 20]);
        using var mapped = new MappedFile(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) stream.SetLength(5 << 20);
        var error = Assert.Throws<IOException>(() => mapped.HashInto(new XxHash3(), 0));
        Assert.Contains(path, error.Message);
        Assert.Contains("changed while it was read", error.Message);
    }
}
