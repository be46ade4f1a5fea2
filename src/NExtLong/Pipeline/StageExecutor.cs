using System.Diagnostics;
using System.Text.Json;

namespace NExtLong.Pipeline;

/// <summary>
/// Runs a <see cref="IDistributedStage{TStats}"/> as rank r of W over its work units, or opens the merge of all
/// ranks' units. Everything about where and how the units run lives here: the work folder beside the output
/// (OUT.work), its shared lock for ranks and exclusive lock for the merge, the completion markers, unit stats,
/// timing and requeue-safety (finished units are skipped).
/// </summary>
public static class StageExecutor
{
    // nextlong's own stages' unit stats have contracts in JsonContracts; a library user's stage is also served by
    // reflection where the build allows it (not in a natively compiled one).
    internal static readonly JsonSerializerOptions Json = JsonContracts.Make(new JsonSerializerOptions { WriteIndented = true }, userTypes: true);

    /// <summary>Rank <paramref name="rank"/>'s share: the units u with u mod W = r that are not yet complete for this plan.</summary>
    /// <param name="stage">The stage whose units to run.</param>
    /// <param name="outputDir">The stage's output folder; the units go into the work folder beside it (OUT.work).</param>
    /// <param name="rank">This process's rank and the world size.</param>
    /// <param name="progress">(units this run has finished, units it had to do).</param>
    /// <param name="ct">Stops the run between units (and inside one, as far as the stage checks it); finished units stay complete.</param>
    public static RankResult<TStats> RunRank<TStats>(IDistributedStage<TStats> stage, string outputDir, RankAssignment rank,
        Action<int, int>? progress = null, CancellationToken ct = default)
    {
        var work = new WorkFolder(outputDir, stage.Plan);
        using var hold = work.OpenForRank(rank);
        work.Prepare();
        var clock = Stopwatch.StartNew();
        var owned = rank.Units(stage.UnitCount).ToList();
        var todo = owned.Where(u => !work.IsComplete(stage.UnitName(u))).ToList();
        var done = new List<TStats>();
        int skipped = 0;
        TStats? Completed(int unit) => work.IsComplete(stage.UnitName(unit)) ? ReadStats(work, stage, unit) : default;
        foreach (int unit in todo)
        {
            ct.ThrowIfCancellationRequested();
            var unitClock = Stopwatch.StartNew();
            var stats = stage.Unneeded(unit, Completed);
            if (stats is not null) skipped++;
            else stats = stage.Run(unit, work.UnitPath(stage.UnitName(unit)), ct);
            work.Complete(stage.UnitName(unit), Json.Serialize(new UnitRecord<TStats>(unit, rank.Rank, rank.WorldSize, Math.Round(unitClock.Elapsed.TotalSeconds, 3), stats)));
            done.Add(stats);
            progress?.Invoke(done.Count, todo.Count);
        }
        work.CompleteRank(rank, done.Count, owned.Count, clock.Elapsed.TotalSeconds);
        return new RankResult<TStats>(done, owned.Count, stage.UnitCount, skipped, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Holds the work folder alone and checks that every unit is complete for this plan (naming the missing ones);
    /// the stage's merge then reads the units through the session and finishes it.
    /// </summary>
    public static MergeSession<TStats> BeginMerge<TStats>(IDistributedStage<TStats> stage, string outputDir)
    {
        var work = new WorkFolder(outputDir, stage.Plan);
        var hold = work.OpenForMerge(stage.Name);
        try
        {
            work.RequireComplete(Enumerable.Range(0, stage.UnitCount).Select(stage.UnitName), stage.Name);
            return new MergeSession<TStats>(stage, work, hold);
        }
        catch
        {
            hold.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The local executor for a stage without a streaming path of its own: every unit here (as rank 0 of 1), then the
    /// merge, which <paramref name="merge"/> writes and the session finishes.
    /// </summary>
    public static TResult RunLocal<TStats, TResult>(IDistributedStage<TStats> stage, string outputDir, Func<MergeSession<TStats>, TResult> merge,
        CancellationToken ct = default)
    {
        RunRank(stage, outputDir, new RankAssignment(0, 1), ct: ct);
        using var session = BeginMerge(stage, outputDir);
        var result = merge(session);
        session.Finish();
        return result;
    }

    internal static TStats ReadStats<TStats>(WorkFolder work, IDistributedStage<TStats> stage, int unit)
        => Json.Deserialize<UnitRecord<TStats>>(work.ReadStats(stage.UnitName(unit)))!.Stats;
}
