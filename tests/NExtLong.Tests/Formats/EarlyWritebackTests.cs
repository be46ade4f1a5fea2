using System.Runtime.InteropServices;
using NExtLong.Output;
using NExtLong.Output.Megatron;

namespace NExtLong.Tests.Formats;

/// <summary>
/// The writers start the disk write of what they wrote a few MiB behind themselves, so the fsync that ends a part,
/// shard or checkpoint finds little left dirty. Checked on the kernel's own count of a file's dirty pages (cachestat,
/// Linux 6.5+): without the early writeback every page written so far is still dirty before the fsync.
/// </summary>
public sealed class EarlyWritebackTests
{
    private const int MiB = 1 << 20;

    /// <summary>At most this many pages may be dirty: what was written since the last start.</summary>
    private static long DirtyLimit => EarlyWriteback.Step / Environment.SystemPageSize;

    [Fact]
    public void Starts_the_write_of_every_whole_step_written()
    {
        string path = Path.Combine(TempDir.Create(), "f.bin");
        byte[] block = Block(MiB, seed: 1);
        using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, MiB))
        {
            var writeback = new EarlyWriteback(file);
            for (int i = 0; i < 33; i++)
            {
                file.Write(block);
                writeback.Written();
            }
            Assert.Equal(4 * EarlyWriteback.Step, writeback.Started);
            AssertFewDirtyPages(path, 33L * MiB);
        }
        Assert.Equal(33L * MiB, new FileInfo(path).Length);
        byte[] back = File.ReadAllBytes(path);
        Assert.True(back.AsSpan(32 * MiB).SequenceEqual(block));
    }

    [Fact]
    public void A_file_continued_from_a_position_counts_from_there()
    {
        string path = Path.Combine(TempDir.Create(), "f.bin");
        File.WriteAllBytes(path, Block(5 * MiB, seed: 2));
        using var file = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None, MiB) { Position = 5 * MiB };
        var writeback = new EarlyWriteback(file);
        byte[] block = Block(MiB, seed: 3);
        for (int i = 0; i < 7; i++)
        {
            file.Write(block);
            writeback.Written();
        }
        Assert.Equal(0, writeback.Started);
        file.Write(block);
        writeback.Written();
        Assert.Equal(EarlyWriteback.Step, writeback.Started);
    }

    [Fact]
    public void The_megatron_bin_is_written_back_before_its_checkpoint()
    {
        string dir = TempDir.Create();
        using var writer = new MegatronDatasetWriter(dir, "docs", MegatronDType.Int32);
        int[] ids = new int[MiB / 4];
        for (int i = 0; i < ids.Length; i++) ids[i] = i % 100_000;
        for (int doc = 0; doc < 40; doc++)
            writer.Write(ids, [new TokenRange(0, ids.Length)], "d");
        AssertFewDirtyPages(Path.Combine(dir, "docs.bin.tmp"), 40L * MiB);
        writer.Complete();
        Assert.Equal(40L * MiB, new FileInfo(Path.Combine(dir, "docs.bin")).Length);
    }

    [Fact]
    public void A_jsonl_zst_part_is_written_back_before_it_closes()
    {
        string dir = TempDir.Create();
        using var writer = new JsonlZstDatasetWriter(dir, documentsPerPart: 200);
        string part = Path.Combine(dir, JsonlZstDatasetWriter.PartName(0) + ".tmp");
        // Random base64 compresses to about three quarters; zstd's compression thread lags the documents given it.
        int documents = 0;
        for (; documents < 200 && (documents == 0 || new FileInfo(part).Length < 3 * EarlyWriteback.Step); documents++)
            writer.Write($"id-{documents}", PropertyTests.Document(documents, Convert.ToBase64String(Block(3 * MiB / 4, seed: 10 + documents))));
        long written = new FileInfo(part).Length;
        Assert.True(written >= 3 * EarlyWriteback.Step, $"the part holds only {written:N0} bytes after {documents} documents");
        AssertFewDirtyPages(part, written);
        writer.Complete();
        Assert.Equal(documents, DatasetReader.ReadDocuments(dir).Count);
    }

    [Fact]
    public void A_dedup_output_file_is_written_back_as_it_grows()
    {
        string path = Path.Combine(TempDir.Create(), "kept.jsonl.zst");
        using (var writer = new ZstdLineWriter(path))
        {
            for (int i = 0; i < 24; i++)
                writer.WriteLine(System.Text.Encoding.ASCII.GetBytes(Convert.ToBase64String(Block(3 * MiB / 4, seed: 50 + i))));
            long written = new FileInfo(path + ".tmp").Length;
            Assert.True(written > 2 * EarlyWriteback.Step, $"the file holds only {written:N0} bytes so far");
            AssertFewDirtyPages(path + ".tmp", written);
            writer.Complete();
        }
        Assert.True(File.Exists(path));
    }

    private static byte[] Block(int bytes, int seed)
    {
        var block = new byte[bytes];
        new Random(seed).NextBytes(block);
        return block;
    }

    /// <summary>
    /// The kernel's count of the file's dirty pages (those not yet handed to the disk) is at most one step's worth,
    /// where it would be every page of <paramref name="written"/> bytes without the early writeback. Kernels without
    /// cachestat (before 6.5) cannot count them; there the write starts are checked by the calls' results alone.
    /// </summary>
    private static void AssertFewDirtyPages(string path, long written)
    {
        Assert.True(written / Environment.SystemPageSize > 2 * DirtyLimit, "too little written for the check to mean anything");
        if (!OperatingSystem.IsLinux()) return;
        // A descriptor of its own, opened past .NET's emulation of FileShare.None (an advisory lock the writer holds).
        int fd = Open(path, 0);
        Assert.True(fd >= 0, $"{path}: cannot open ({Marshal.GetLastPInvokeError()})");
        var range = new CacheStatRange();
        long rc = CacheStat(CacheStatSyscall, fd, ref range, out var stat, 0);
        int error = Marshal.GetLastPInvokeError();
        Close(fd);
        if (rc != 0 && error == NoSuchSyscall) return;
        Assert.Equal(0, rc);
        Assert.True((long)stat.Dirty <= DirtyLimit,
            $"{path}: {stat.Dirty:N0} of {stat.Cache:N0} cached pages are dirty ({stat.Writeback:N0} being written); at most {DirtyLimit:N0} may be");
    }

    private const long CacheStatSyscall = 451; // the same number on every Linux architecture
    private const int NoSuchSyscall = 38;      // ENOSYS

    [StructLayout(LayoutKind.Sequential)]
    private struct CacheStatRange
    {
        public ulong Offset, Length; // length 0: to the end of the file
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CacheStatResult
    {
        public ulong Cache, Dirty, Writeback, Evicted, RecentlyEvicted;
    }

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static extern long CacheStat(long number, int fd, ref CacheStatRange range, out CacheStatResult result, uint flags);
}
