using NExtLong.Pipeline;

namespace NExtLong.Tests;

/// <summary>
/// A stage is one class: this test stage (lines counted per input file, summed by the merge) has no code of its own
/// for ranks, work folders, markers, locks or merging, and runs locally and as any number of ranks to the same result.
/// </summary>
public class StageExecutorTests
{
    private sealed record Counted(string File, int Lines);

    private sealed class LineCount(IReadOnlyList<string> files) : IDistributedStage<Counted>
    {
        public int Runs;

        public string Name => "line-count";

        public string Plan => string.Join('\n', files.Select(Path.GetFileName));

        public int UnitCount => files.Count;

        public string UnitName(int unit) => $"file-{unit:D3}";

        public Counted Run(int unit, string output, CancellationToken ct)
        {
            Runs++;
            int lines = File.ReadAllLines(files[unit]).Length;
            File.WriteAllText(output, lines.ToString());
            return new Counted(Path.GetFileName(files[unit]), lines);
        }

        // Once the units before reach 100 lines, the rest are not needed.
        public Counted? Unneeded(int unit, Func<int, Counted?> completed)
        {
            int total = 0;
            for (int u = 0; u < unit; u++)
            {
                if (completed(u) is not { } c) return null;
                total += c.Lines;
            }
            return total >= 100 ? new Counted(Path.GetFileName(files[unit]), -1) : null;
        }
    }

    private static int Merge(MergeSession<Counted> session, int units)
    {
        int total = 0;
        for (int u = 0; u < units; u++)
        {
            var stats = session.StatsOf(u);
            if (stats.Lines >= 0) total += int.Parse(File.ReadAllText(session.OutputOf(u)));
        }
        return total;
    }

    private static List<string> Files(string root, params int[] lines)
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
        int local = StageExecutor.RunLocal(new LineCount(files), Path.Combine(root, "local"), s => Merge(s, files.Count));
        Assert.Equal(39, local);
        for (int w = 2; w <= 4; w++)
        {
            string outDir = Path.Combine(root, $"w{w}");
            var stage = new LineCount(files);
            for (int r = w - 1; r >= 0; r--) StageExecutor.RunRank(stage, outDir, new RankAssignment(r, w));
            Assert.Equal(files.Count, stage.Runs);
            using var session = StageExecutor.BeginMerge(stage, outDir);
            Assert.Equal(local, Merge(session, files.Count));
            session.Finish();
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
        using var session = StageExecutor.BeginMerge(stage, outDir);
        Assert.Equal(110, Merge(session, files.Count));
    }
}
