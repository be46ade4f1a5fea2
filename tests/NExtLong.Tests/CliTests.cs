using System.Diagnostics;

namespace NExtLong.Tests;

public class CliTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    [Fact]
    public void Every_command_has_help()
    {
        foreach (var command in new[] { "index", "synthesize", "run", "slurm" })
        {
            var (code, stdout, _) = CliProcess.Run(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("--input", stdout);
            Assert.Contains("Usage:", stdout);
        }
        Assert.Contains("synthesize", CliProcess.Run("--help").Stdout);
    }

    [Fact]
    public void Failures_exit_non_zero_with_a_one_line_reason()
    {
        string dir = TempDir.Create();
        var (code, _, stderr) = CliProcess.Run("synthesize", "--index", Path.Combine(dir, "missing"), "--input", SampleIndexFixture.SamplePath, "--out", Path.Combine(dir, "out"));
        Assert.NotEqual(0, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("nextlong: error: ", lines[0]);
        Assert.Contains("missing", lines[0]);

        string bad = Path.Combine(dir, "bad.jsonl");
        File.WriteAllText(bad, "{\"id\": \"a\", \"text\": \"fine\"}\n{not json\n");
        (code, _, stderr) = CliProcess.Run("index", "--input", bad, "--out", Path.Combine(dir, "idx"));
        Assert.Equal(1, code);
        Assert.Contains("bad.jsonl", stderr);
        Assert.Contains("line 2", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "idx")));

        (code, _, stderr) = CliProcess.Run("index", "--input", bad, "--out", Path.Combine(dir, "idx"), "--on-bad-record", "skip");
        Assert.Equal(0, code);
        Assert.Contains("skipped", stderr);

        (code, _, stderr) = CliProcess.Run("index", "--input", bad, "--out", Path.Combine(dir, "idx2"), "--retriever", "dense", "--embedder", "word2vec");
        Assert.Equal(1, code);
        Assert.Contains("glove", stderr);
    }

    [Fact]
    public void Ctrl_c_leaves_no_file_that_looks_complete()
    {
        string outDir = Path.Combine(TempDir.Create(), "out");
        using var p = CliProcess.StartAsFromTerminal("synthesize", "--index", sample.IndexDir, "--input", SampleIndexFixture.SamplePath, "--out", outDir, "--num-samples", "400", "--threads", "1");
        var stderr = p.StandardError.ReadToEndAsync();
        // Wait until synthesis has started writing its first part, then interrupt as a terminal would.
        var clock = Stopwatch.StartNew();
        while (!Directory.Exists(outDir) || !Directory.EnumerateFiles(outDir, "part-*.tmp").Any())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "synthesis never started writing");
            if (p.HasExited) Assert.Fail("the CLI exited before it could be interrupted: " + stderr.Result);
            Thread.Sleep(50);
        }
        Process.Start("kill", ["-INT", p.Id.ToString()])!.WaitForExit();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)), "the CLI did not stop after SIGINT");
        Assert.Equal(130, p.ExitCode);
        Assert.Contains("cancelled", stderr.Result);
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
        Assert.Empty(Directory.EnumerateFiles(outDir, "part-*.jsonl.zst"));
        Assert.Empty(Directory.EnumerateFiles(outDir, "*.tmp"));
    }
}
