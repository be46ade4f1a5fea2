using NExtLong.Index;

namespace NExtLong.Tests;

public class OutputFailureTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private static ScratchMount Mount(string size, bool readOnly = false)
    {
        var mount = ScratchMount.TryCreate(size, readOnly);
        if (mount is null)
        {
            // CI runs as root and can mount; elsewhere this needs privileges the test cannot get.
            TestRequirements.Missing("mounting a tmpfs is not permitted here (the tests mount one as root)");
        }
        return mount;
    }

    [Fact]
    public void A_full_disk_fails_the_index_build_clearly_and_leaves_no_index()
    {
        using var disk = Mount("1m");
        string outDir = Path.Combine(disk.Path, "index");
        var (code, _, stderr) = CliProcess.Run("index", "--input", SampleIndexFixture.SamplePath, "--out", outDir);
        Assert.Equal(1, code);
        Assert.StartsWith("nextlong: error: ", stderr.Trim());
        Assert.Contains("space", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(ChunkIndex.Exists(outDir));
    }

    [Fact]
    public void A_full_disk_fails_synthesis_clearly_and_leaves_no_part_that_looks_complete()
    {
        using var disk = Mount("1m");
        string outDir = Path.Combine(disk.Path, "out");
        var (code, _, stderr) = CliProcess.Run("synthesize", "--index", sample.IndexDir, "--input", SampleIndexFixture.SamplePath, "--out", outDir, "-n", "16");
        Assert.Equal(1, code);
        Assert.Contains("space", stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
        Assert.Empty(Directory.EnumerateFiles(outDir, "part-*.jsonl.zst"));
        // The part being written when the disk filled is deleted, not left under its temporary name.
        Assert.Empty(Directory.EnumerateFiles(outDir, "*.tmp"));
    }

    [Fact]
    public void A_read_only_output_folder_is_a_one_line_error()
    {
        using var disk = Mount("1m", readOnly: true);
        var (code, _, stderr) = CliProcess.Run("synthesize", "--index", sample.IndexDir, "--input", SampleIndexFixture.SamplePath, "--out", Path.Combine(disk.Path, "out"));
        Assert.Equal(1, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("Read-only file system", lines[0]);
    }
}
