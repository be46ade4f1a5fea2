using System.Diagnostics;
using NExtLong.Index;

namespace NExtLong.Tests;

/// <summary>
/// Kills the real CLI with SIGKILL at random moments of each stage, reruns it, and requires the result to equal an
/// uninterrupted run; between kill and rerun nothing may look complete unless it is identical to the reference.
/// </summary>
[Trait("Tier", "slow")]
public class CrashSafetyTests
{
    private const int KillsPerStage = 10;

    /// <summary>Runs the command to the end and says how long it took (what other tests time signals and kills by).</summary>
    internal static TimeSpan Uninterrupted(params string[] args)
    {
        _ = CliProcess.Program; // built (when stale, minutes) before the clock starts
        var clock = Stopwatch.StartNew();
        var (code, _, stderr) = CliProcess.Run(args);
        Assert.True(code == 0, stderr);
        return clock.Elapsed;
    }

    /// <summary>
    /// Runs the command, kills it after a random delay within <paramref name="duration"/> (what an uninterrupted run of
    /// it took: kills then land inside the run however fast the build is), and reports whether it was still running.
    /// </summary>
    internal static bool RunAndKill(Random random, TimeSpan duration, string[] args)
    {
        using var p = CliProcess.Start(args);
        p.StandardOutput.ReadToEndAsync();
        p.StandardError.ReadToEndAsync();
        Thread.Sleep(TimeSpan.FromMilliseconds(duration.TotalMilliseconds * (0.05 + 0.9 * random.NextDouble())));
        bool killed = !p.HasExited;
        if (killed) Process.Start("kill", ["-KILL", p.Id.ToString()])!.WaitForExit();
        p.WaitForExit();
        return killed;
    }

    private static void AssertSameFiles(string expected, string actual, Func<string, bool>? only = null)
    {
        var names = Directory.GetFiles(expected).Select(Path.GetFileName).Where(n => only?.Invoke(n!) ?? true).Order().ToList();
        Assert.Equal(names, Directory.GetFiles(actual).Select(Path.GetFileName).Where(n => only?.Invoke(n!) ?? true).Order().ToList());
        foreach (var n in names)
            Assert.True(File.ReadAllBytes(Path.Combine(expected, n!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, n!))), $"{n} differs");
    }

    // bm25 (the default) spills and merges postings segments; dense embeds and writes vectors: both must resume.
    [Theory]
    [InlineData("dense")]
    [InlineData("bm25")]
    public void Index_build_survives_sigkill_at_random_points(string retriever)
    {
        string dir = TempDir.Create();
        string reference = Path.Combine(dir, "reference"), crashed = Path.Combine(dir, "crashed");
        var duration = Uninterrupted("index", "--retriever", retriever, "--input", SampleIndexFixture.SamplePath, "--out", reference);
        var random = new Random(11);
        int kills = 0;
        for (int attempt = 0; kills < KillsPerStage; attempt++)
        {
            Assert.True(attempt < 10 * KillsPerStage, $"only {kills} kills landed in {attempt} runs");
            bool killed = RunAndKill(random, duration, ["index", "--retriever", retriever, "--input", SampleIndexFixture.SamplePath, "--out", crashed]);
            if (killed) kills++;
            // Between crash and rerun, an index folder holds the index only if it is complete and right. Before, it
            // holds its marker (the folder is claimed before the build starts) and, when the kill came while the
            // finished files were being moved in, some of them: never a manifest, so never an index.
            if (File.Exists(Path.Combine(crashed, "manifest.json"))) AssertSameFiles(reference, crashed);
            else if (Directory.Exists(crashed))
                Assert.All(Directory.GetFileSystemEntries(crashed), e => Assert.Contains(Path.GetFileName(e), ChunkIndexFiles.PayloadFiles.Append(".nextlong")));
            // Now and then a kill lands on a killed run's rerun; a run that finished is checked and started afresh (a
            // finished index is reused, so every later run would finish too).
            if (killed && kills % 3 == 0) continue;
            Uninterrupted("index", "--retriever", retriever, "--input", SampleIndexFixture.SamplePath, "--out", crashed);
            AssertSameFiles(reference, crashed);
            Directory.Delete(crashed, recursive: true);
        }
    }

    [Fact]
    public void Synthesis_survives_sigkill_at_random_points_and_resumes_byte_identical()
    {
        string dir = TempDir.Create();
        string index = Path.Combine(dir, "index"), reference = Path.Combine(dir, "reference"), crashed = Path.Combine(dir, "crashed");
        Uninterrupted("index", "--retriever", "dense", "--input", SampleIndexFixture.SamplePath, "--out", index);
        string[] Args(string outDir) => ["synthesize", "--index", index, "--input", SampleIndexFixture.SamplePath, "--out", outDir,
            "-n", "24", "--target-tokens", "16384", "--documents-per-part", "3"];
        var duration = Uninterrupted(Args(reference));
        var random = new Random(12);
        int kills = 0;
        for (int attempt = 0; kills < KillsPerStage; attempt++)
        {
            Assert.True(attempt < 10 * KillsPerStage, $"only {kills} kills landed in {attempt} runs");
            // Several kills in a row, each rerun resuming the last one's checkpoint, then a run to completion.
            bool killed = RunAndKill(random, duration, Args(crashed));
            if (killed) kills++;
            if (File.Exists(Path.Combine(crashed, "stats.json"))) AssertSameFiles(reference, crashed);
            else if (Directory.Exists(crashed))
            {
                // Every part that looks complete is the reference's part.
                foreach (var part in Directory.GetFiles(crashed, "part-*.jsonl.zst"))
                    Assert.True(File.ReadAllBytes(part).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(reference, Path.GetFileName(part)))), $"{Path.GetFileName(part)} looks complete but differs");
            }
            if (killed && kills % 3 != 0) continue;
            Uninterrupted(Args(crashed));
            AssertSameFiles(reference, crashed);
            Directory.Delete(crashed, recursive: true);
        }
    }

    [Fact]
    public void Distributed_ranks_and_merges_survive_sigkill_and_merge_to_the_uninterrupted_bytes()
    {
        string dir = TempDir.Create();
        string corpus = SplitSample.Create(dir, files: 4);
        string reference = Path.Combine(dir, "reference"), timing = Path.Combine(dir, "timing");
        string[] synthesis = ["-n", "24", "--target-tokens", "16384", "--documents-per-part", "3"];
        Uninterrupted(["run", "--retriever", "dense", "--input", corpus, "--out", reference, "--dedup", "none", .. synthesis]);
        // The pipeline as a Slurm run has it: index ranks, index merge, synthesis ranks, synthesis merge.
        string[][] Steps(string outDir)
        {
            string index = Path.Combine(outDir, "index");
            string[] indexArgs = ["index", "--retriever", "dense", "--input", corpus, "--out", index, "--threads", "1"];
            string[] synthArgs = ["synthesize", "--input", corpus, "--index", index, "--out", outDir, "--threads", "1", .. synthesis];
            return [[.. indexArgs, "--rank", "0", "--world-size", "2"], [.. indexArgs, "--rank", "1", "--world-size", "2"], [.. indexArgs, "--merge"],
                [.. synthArgs, "--rank", "0", "--world-size", "2"], [.. synthArgs, "--rank", "1", "--world-size", "2"], [.. synthArgs, "--merge"]];
        }
        // An uninterrupted distributed run gives each step's duration, so that kills land inside the steps.
        var durations = Steps(timing).Select(Uninterrupted).ToList();
        SplitSample.AssertSameTree(reference, timing);

        var random = new Random(13);
        int kills = 0;
        // Whole distributed runs, each into a fresh folder, until 20 kills have landed: a step killed once or twice
        // resumes and finishes, after which it has nothing left to kill.
        for (int round = 0; kills < 20; round++)
        {
            Assert.True(round < 8, $"only {kills} kills landed in {round} rounds");
            string crashed = Path.Combine(dir, $"crashed-{round}");
            var steps = Steps(crashed);
            for (int s = 0; s < steps.Length; s++)
            {
                for (int stepKills = 0; stepKills < 4 && RunAndKill(random, durations[s], steps[s]); stepKills++)
                {
                    kills++;
                    AssertNothingIncompleteLooksComplete(reference, crashed);
                }
                Uninterrupted(steps[s]);
                AssertNothingIncompleteLooksComplete(reference, crashed);
            }
            SplitSample.AssertSameTree(reference, crashed);
        }
        Assert.True(kills >= 20, $"only {kills} kills landed while a step was running");
    }

    [Fact]
    public void Embed_survives_sigkill_locally_and_as_ranks()
    {
        string dir = TempDir.Create();
        string corpus = SplitSample.Create(dir, files: 3);
        string reference = Path.Combine(dir, "reference"), crashed = Path.Combine(dir, "crashed");
        var duration = Uninterrupted("embed", "--input", corpus, "--out", reference, "--threads", "1");
        var expected = File.ReadAllBytes(Path.Combine(reference, "vectors.flat"));
        void AssertVectorsCompleteOrAbsent(string outDir)
        {
            string vectors = Path.Combine(outDir, "vectors.flat");
            if (File.Exists(vectors)) Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(vectors)), "vectors.flat looks complete but differs");
        }
        var random = new Random(14);
        int kills = 0;
        for (int attempt = 0; attempt < 20 && kills < 6; attempt++)
        {
            // A fresh cache each time would make every run equal; keeping it is what resumption is about.
            if (RunAndKill(random, duration, ["embed", "--input", corpus, "--out", crashed, "--threads", "1"])) kills++;
            AssertVectorsCompleteOrAbsent(crashed);
        }
        Uninterrupted("embed", "--input", corpus, "--out", crashed);
        AssertVectorsCompleteOrAbsent(crashed);
        Assert.True(File.Exists(Path.Combine(crashed, "vectors.flat")));

        string[][] Steps(string outDir) => [["embed", "--input", corpus, "--out", outDir, "--rank", "0", "--world-size", "2", "--threads", "1"],
            ["embed", "--input", corpus, "--out", outDir, "--rank", "1", "--world-size", "2", "--threads", "1"], ["embed", "--input", corpus, "--out", outDir, "--merge"]];
        var durations = Steps(Path.Combine(dir, "timing")).Select(Uninterrupted).ToList();
        for (int round = 0; kills < 12; round++)
        {
            Assert.True(round < 8, $"only {kills} kills landed in {round} rounds");
            string ranked = Path.Combine(dir, $"ranked-{round}");
            var steps = Steps(ranked);
            for (int s = 0; s < steps.Length; s++)
            {
                var step = steps[s];
                // Until the step finishes before its kill: after that, reruns have nothing left to do.
                for (int attempt = 0; attempt < 4 && RunAndKill(random, durations[s], step); attempt++) kills++;
                AssertVectorsCompleteOrAbsent(ranked);
                Uninterrupted(step);
            }
            AssertVectorsCompleteOrAbsent(ranked);
            Assert.True(File.Exists(Path.Combine(ranked, "vectors.flat")));
        }
    }

    private static void AssertNothingIncompleteLooksComplete(string reference, string crashed)
    {
        string index = Path.Combine(crashed, "index");
        // An index is complete once its manifest is in place; before that its folder holds at most the marker.
        if (File.Exists(Path.Combine(index, "manifest.json"))) SplitSample.AssertSameTree(Path.Combine(reference, "index"), index);
        else if (Directory.Exists(index)) Assert.All(Directory.GetFileSystemEntries(index), e => Assert.Equal(".nextlong", Path.GetFileName(e)));
        if (File.Exists(Path.Combine(crashed, "stats.json"))) SplitSample.AssertSameTree(reference, crashed);
        else if (Directory.Exists(crashed))
            foreach (var part in Directory.GetFiles(crashed, "part-*.jsonl.zst"))
                Assert.True(File.ReadAllBytes(part).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(reference, Path.GetFileName(part)))), $"{Path.GetFileName(part)} looks complete but differs");
        // A unit with a completion marker has its whole output in place (until the merge removes the outputs).
        foreach (var work in new[] { index + ".work", crashed + ".work" })
        {
            string units = Path.Combine(work, "units");
            if (!Directory.Exists(units)) continue;
            foreach (var marker in Directory.GetFiles(Path.Combine(work, "completions")).Select(Path.GetFileName)
                         // A marker killed while being written is a .tmp file, which no merge reads as a marker.
                         .Where(n => !n!.StartsWith("rank-", StringComparison.Ordinal) && !n.EndsWith(".tmp", StringComparison.Ordinal)))
            {
                using var record = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "stats", marker + ".json")));
                var stats = record.RootElement.GetProperty("Stats");
                if (marker!.StartsWith("unit-", StringComparison.Ordinal))
                    NExtLong.Index.ChunkIndex.Open(Path.Combine(units, marker)).Dispose();
                else if (!stats.GetProperty("SkippedNotNeeded").GetBoolean())
                    NExtLong.Pipeline.CandidateBlock.Read(Path.Combine(units, marker), stats.GetProperty("FirstCandidate").GetInt32(),
                        stats.GetProperty("Candidates").GetInt32());
            }
        }
    }
}
