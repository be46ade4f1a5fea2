using NExtLong.Pipeline;

namespace NExtLong.Tests;

public class DiscardTests
{
    [Fact]
    public void A_discarded_file_frees_its_name_at_once_and_is_gone_after_the_wait()
    {
        string dir = TempDir.Create();
        string a = Path.Combine(dir, "a.bin"), b = Path.Combine(dir, "b.bin"), missing = Path.Combine(dir, "missing.bin");
        File.WriteAllBytes(a, new byte[1 << 20]);
        File.WriteAllText(b, "b");
        using var discard = new Discard();
        discard.Files([a, b, missing]);
        // The names are free before any unlink: a new file takes one and is not the one unlinked.
        Assert.False(File.Exists(a));
        Assert.False(File.Exists(b));
        File.WriteAllText(a, "new");
        discard.Wait();
        Assert.Equal(["a.bin"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal("new", File.ReadAllText(a));
    }

    [Fact]
    public void What_a_killed_run_left_discarded_is_unlinked_without_a_second_rename()
    {
        string dir = TempDir.Create();
        string left = Path.Combine(dir, ".nextlong-discarded-0123456789abcdef0123456789abcdef.tmp");
        File.WriteAllText(left, "left");
        Assert.True(Discard.IsDiscarded(Path.GetFileName(left)));
        Assert.False(Discard.IsDiscarded("shard.00000.mds"));
        Assert.False(Discard.IsDiscarded("config.json.0123456789abcdef0123456789abcdef.tmp"));
        using var discard = new Discard();
        discard.Files([left]);
        discard.Wait();
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void Discards_given_one_after_another_are_all_waited_for()
    {
        string dir = TempDir.Create();
        var files = Enumerable.Range(0, 6).Select(i => Path.Combine(dir, $"f{i}")).ToList();
        foreach (string f in files) File.WriteAllBytes(f, new byte[256 << 10]);
        using var discard = new Discard();
        discard.Files(files.Take(3));
        discard.Files(files.Skip(3));
        discard.Wait();
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void A_failed_unlink_is_thrown_by_the_wait_and_the_files_after_it_are_still_unlinked()
    {
        string dir = TempDir.Create();
        string file = Path.Combine(dir, "after.bin");
        File.WriteAllText(file, "after");
        using var discard = new Discard();
        // A discarded name in a folder that is gone: its unlink fails.
        discard.Files([Path.Combine(dir, "gone", ".nextlong-discarded-0123456789abcdef0123456789abcdef.tmp")]);
        discard.Files([file]);
        Assert.Throws<DirectoryNotFoundException>(discard.Wait);
        Assert.Empty(Directory.GetFiles(dir));
    }
}
