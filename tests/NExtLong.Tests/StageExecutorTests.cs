using NExtLong.Pipeline;
using NExtLong.TestStage;

namespace NExtLong.Tests;

/// <summary>
/// A stage is one class: the test stage (<see cref="LineCount"/>, lines counted per input file, listed by the merge)
/// has no code of its own for ranks, work folders, markers, locks or merging, and runs locally and as any number of
/// ranks to the same result (and as a Slurm job array: SlurmClusterTests).
/// </summary>
public class StageExecutorTests
{
    /// <summary>Input files of the given line counts, ROOT/in/f0.txt, f1.txt, ….</summary>
    internal static List<string> Files(string root, params int[] lines)
    {
        Directory.CreateDirectory(Path.Combine(root, "in"));
        return lines.Select((n, i) =>
        {
            string f = Path.Combine(root, "in", $"f{i}.txt");
            File.WriteAllLines(f, Enumerable.Range(0, n).Select(x => $"line {x}"));
            return f;
        }).ToList();
    }

    [Fact]
    public void Local_and_any_rank_count_give_the_same_merge()
    {
        string root = TempDir.Create();
        var files = Files(root, 3, 5, 7, 11, 13);
        var localStage = new LineCount(files);
        string localDir = Path.Combine(root, "local");
        int local = StageExecutor.RunLocal(localStage, localDir, s => localStage.Merge(s, localDir));
        Assert.Equal(39, local);
        Assert.Equal("f0.txt\t3\nf1.txt\t5\nf2.txt\t7\nf3.txt\t11\nf4.txt\t13\ntotal\t39\n", File.ReadAllText(Path.Combine(localDir, LineCount.ResultFile)));
        for (int w = 2; w <= 4; w++)
        {
            string outDir = Path.Combine(root, $"w{w}");
            var stage = new LineCount(files);
            for (int r = w - 1; r >= 0; r--) StageExecutor.RunRank(stage, outDir, new RankAssignment(r, w));
            Assert.Equal(files.Count, stage.Runs);
            using var session = StageExecutor.BeginMerge(stage, outDir);
            Assert.Equal(local, stage.Merge(session, outDir));
            session.Finish();
            SplitSample.AssertSameTree(localDir, outDir);
            Assert.False(Directory.Exists(Path.Combine(outDir + ".work", "units")));
            Assert.True(File.Exists(Path.Combine(outDir + ".work", WorkFolder.MergedStatsFile)));
        }
    }

    [Fact]
    public void Reruns_skip_finished_units_and_the_merge_names_missing_ones()
    {
        string root = TempDir.Create();
        var files = Files(root, 1, 2, 3, 4);
        string outDir = Path.Combine(root, "out");
        var stage = new LineCount(files);
        var first = StageExecutor.RunRank(stage, outDir, new RankAssignment(0, 2));
        Assert.Equal([1, 3], first.Done.Select(d => d.Lines));
        Assert.Empty(StageExecutor.RunRank(stage, outDir, new RankAssignment(0, 2)).Done);
        Assert.Equal(2, stage.Runs);
        var missing = Assert.Throws<InvalidOperationException>(() => StageExecutor.BeginMerge(stage, outDir));
        Assert.Contains("file-001", missing.Message);
        Assert.Contains("file-003", missing.Message);

        // Another plan is other work: its markers never count for this one.
        var other = new LineCount(files.Take(3).ToList());
        Assert.Equal(2, StageExecutor.RunRank(other, outDir, new RankAssignment(0, 2)).Done.Count);
    }

    [Fact]
    public void A_second_process_of_a_rank_and_a_merge_during_ranks_are_refused()
    {
        string root = TempDir.Create();
        var files = Files(root, 1, 2);
        string outDir = Path.Combine(root, "out");
        var work = new WorkFolder(outDir, new LineCount(files).Plan);
        using (work.OpenForRank(new RankAssignment(1, 2)))
        {
            StageExecutor.RunRank(new LineCount(files), outDir, new RankAssignment(0, 2));
            Assert.Contains("in use", Assert.Throws<IOException>(() => StageExecutor.RunRank(new LineCount(files), outDir, new RankAssignment(1, 2))).Message);
            Assert.Contains("in use", Assert.Throws<IOException>(() => StageExecutor.BeginMerge(new LineCount(files), outDir)).Message);
        }
    }

    [Fact]
    public void Units_the_earlier_ones_prove_unneeded_are_recorded_not_run()
    {
        string root = TempDir.Create();
        var files = Files(root, 60, 50, 7, 9);
        string outDir = Path.Combine(root, "out");
        var stage = new LineCount(files);
        var ran = StageExecutor.RunRank(stage, outDir, new RankAssignment(0, 1));
        Assert.Equal(2, stage.Runs);
        Assert.Equal(2, ran.UnitsSkipped);
        using (var session = StageExecutor.BeginMerge(stage, outDir))
            Assert.Equal(110, stage.Merge(session, outDir));

        // Rank 1 first: it counts file 3 before anything proves it unneeded; the merge leaves it out all the same.
        string ranksDir = Path.Combine(root, "ranks");
        var ranks = new LineCount(files);
        Assert.Equal(0, StageExecutor.RunRank(ranks, ranksDir, new RankAssignment(1, 2)).UnitsSkipped);
        Assert.Equal(1, StageExecutor.RunRank(ranks, ranksDir, new RankAssignment(0, 2)).UnitsSkipped);
        Assert.Equal(3, ranks.Runs);
        using (var session = StageExecutor.BeginMerge(ranks, ranksDir))
            Assert.Equal(110, ranks.Merge(session, ranksDir));
        SplitSample.AssertSameTree(outDir, ranksDir);
    }
}
