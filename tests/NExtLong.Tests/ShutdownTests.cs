using System.Diagnostics;

namespace NExtLong.Tests;

/// <summary>
/// SIGTERM (Slurm, kill, systemd) and SIGINT (Ctrl-C) sent to the real CLI in the middle of its work: it must stop
/// within 5 s with the signal's exit code (143 / 130), leave nothing under a final name that is not complete, and
/// the same command rerun must finish with exactly the bytes of an uninterrupted run. Each signal is sent a share of
/// that uninterrupted run's time into the work, so that it lands inside the work however fast the build is.
/// </summary>
[Trait("Tier", "slow")]
public class ShutdownTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    // The uninterrupted synthesis both synthesis tests compare with, and how long it took (tests of one class run one
    // after another).
    private static readonly Dictionary<string, (string Dir, TimeSpan Took)> References = [];

    private static string[] SynthesisArgs(string index, string outDir) =>
        ["synthesize", "--index", index, "--input", SampleIndexFixture.SamplePath, "--out", outDir,
         "--num-samples", "12", "--documents-per-part", "3", "--target-tokens", "131072", "--threads", "1"];

    [Fact]
    public void Sigterm_stops_an_index_build_within_seconds_and_a_rerun_rebuilds_it()
    {
        string root = TempDir.Create();
        string corpus = CopiesOfSample(root, 3);
        string[] Args(string outDir) => ["index", "--retriever", "dense", "--input", corpus, "--out", outDir, "--threads", "1"];
        string outDir = Path.Combine(root, "index");
        var took = CrashSafetyTests.Uninterrupted(Args(Path.Combine(root, "reference")));

        var (code, stopped, stderr) = Interrupt("TERM", Args(outDir), () => Directory.Exists(outDir + ".partial"), settle: took / 4);

        AssertStopped(143, code, stopped, stderr);
        Assert.False(Directory.Exists(outDir), "an interrupted build left a folder under the index's final name");
        Complete(Args(outDir));
        SplitSample.AssertSameTree(Path.Combine(root, "reference"), outDir);
        Assert.False(Directory.Exists(outDir + ".partial"));
    }

    [Fact]
    public void Sigterm_stops_a_use_lite_index_build_inside_its_onnx_batch()
    {
        // All ~285 chunks are one batch, a single Embed call per thread (~6 s here): the stop must come from inside it.
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, 1, documentsPerFile: 60);
        string[] Args(string outDir) => ["index", "--input", corpus, "--out", outDir, "--retriever", "dense", "--embedder", "use-lite"];
        string outDir = Path.Combine(root, "index");
        var took = CrashSafetyTests.Uninterrupted(Args(Path.Combine(root, "reference")));

        var (code, stopped, stderr) = Interrupt("TERM", Args(outDir), () => Directory.Exists(outDir + ".partial"), settle: took / 4);

        AssertStopped(143, code, stopped, stderr);
        Assert.False(Directory.Exists(outDir));
        Complete(Args(outDir));
        SplitSample.AssertSameTree(Path.Combine(root, "reference"), outDir);
    }

    [Theory]
    [InlineData("TERM", 143)]
    [InlineData("INT", 130)]
    public void A_signal_stops_synthesis_at_once_and_a_rerun_resumes_to_the_same_bytes(string signal, int expectedCode)
    {
        string root = TempDir.Create();
        string outDir = Path.Combine(root, "out");
        string progress = Path.Combine(outDir, "progress.json");

        // Interrupted after its first checkpoint (3 of 12 documents), while the next part is being written: an eighth of
        // an uninterrupted run later (a fixed 300 ms came after the last document once synthesis took 0.7 s).
        var (reference, took) = Reference();
        var (code, stopped, stderr) = Interrupt(signal, SynthesisArgs(sample.IndexDir, outDir), () => File.Exists(progress), settle: took / 8);

        AssertStopped(expectedCode, code, stopped, stderr);
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")), "an interrupted synthesis looks complete");
        Assert.True(File.Exists(progress), "the checkpoint to resume from is gone");
        foreach (var part in Directory.GetFiles(outDir, "part-*.jsonl.zst"))
            Assert.True(File.ReadAllBytes(part).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(reference, Path.GetFileName(part)))),
                $"{Path.GetFileName(part)} has its final name but is not the complete part");

        var (rerun, _, rerunErr) = CliProcess.Run(SynthesisArgs(sample.IndexDir, outDir));
        Assert.True(rerun == 0, rerunErr);
        SplitSample.AssertSameTree(reference, outDir);
    }

    private (string Dir, TimeSpan Took) Reference()
    {
        lock (References)
        {
            if (!References.TryGetValue(sample.IndexDir, out var reference))
            {
                string dir = Path.Combine(TempDir.Create(), "reference");
                References[sample.IndexDir] = reference = (dir, CrashSafetyTests.Uninterrupted(SynthesisArgs(sample.IndexDir, dir)));
            }
            return reference;
        }
    }

    /// <summary>Starts the CLI, waits until <paramref name="midWork"/> holds (and <paramref name="settle"/> more), sends the signal and times the stop.</summary>
    private static (int ExitCode, TimeSpan Stopped, string Stderr) Interrupt(string signal, string[] args, Func<bool> midWork, TimeSpan settle)
    {
        using var p = CliProcess.StartAsFromTerminal(args);
        p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        var clock = Stopwatch.StartNew();
        while (!midWork())
        {
            if (p.HasExited) Assert.Fail($"nextlong {string.Join(' ', args)} finished before it could be interrupted: {stderr.Result}");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the work never started");
            Thread.Sleep(20);
        }
        Thread.Sleep(settle);
        Assert.False(p.HasExited, "the work ended before the signal; make it longer");
        using (var kill = Process.Start("kill", [$"-{signal}", p.Id.ToString()])!) kill.WaitForExit();
        var sent = Stopwatch.StartNew();
        bool exited = p.WaitForExit(TimeSpan.FromSeconds(60));
        var stopped = sent.Elapsed;
        if (!exited)
        {
            p.Kill(true);
            Assert.Fail($"nextlong ignored SIG{signal} for a minute");
        }
        p.WaitForExit();
        return (p.ExitCode, stopped, stderr.Result);
    }

    private static void AssertStopped(int expectedCode, int code, TimeSpan stopped, string stderr)
    {
        Assert.True(stopped < Grace, $"stopping took {stopped.TotalSeconds:F1} s (more than {Grace.TotalSeconds} s): {stderr}");
        Assert.True(code == expectedCode, $"exit code {code}, expected {expectedCode}: {stderr}");
        Assert.Contains("cancelled", stderr);
    }

    private static void Complete(string[] args)
    {
        var (code, _, stderr) = CliProcess.Run(args);
        Assert.True(code == 0, stderr);
    }

    /// <summary>A corpus folder of <paramref name="copies"/> copies of the sample (ids repeat; the index keeps them all).</summary>
    private static string CopiesOfSample(string root, int copies)
    {
        string corpus = Path.Combine(root, "corpus");
        Directory.CreateDirectory(corpus);
        for (int i = 0; i < copies; i++) File.Copy(SampleIndexFixture.SamplePath, Path.Combine(corpus, $"copy-{i}.jsonl.gz"));
        return corpus;
    }
}
