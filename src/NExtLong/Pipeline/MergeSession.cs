namespace NExtLong.Pipeline;

/// <summary>
/// A merge in progress (<see cref="StageExecutor.BeginMerge"/>): the work folder held alone, every unit complete.
/// The stage reads each unit's output and stats here, writes its result, then calls <see cref="Finish"/>, which
/// records the merged stats and removes the unit outputs.
/// </summary>
/// <typeparam name="TStats">The stage's stats of one unit.</typeparam>
public sealed class MergeSession<TStats> : IDisposable
{
    private readonly IDistributedStage<TStats> _stage;
    private readonly WorkFolder _work;
    private readonly IDisposable _hold;

    internal MergeSession(IDistributedStage<TStats> stage, WorkFolder work, IDisposable hold)
    {
        _stage = stage;
        _work = work;
        _hold = hold;
    }

    /// <summary>Where the unit's output lies (a file or folder; absent for a unit recorded as unneeded).</summary>
    public string OutputOf(int unit) => _work.UnitPath(_stage.UnitName(unit));

    /// <summary>The stats the unit's rank recorded (what <see cref="IDistributedStage{TStats}.Run"/> or <c>Unneeded</c> returned).</summary>
    public TStats StatsOf(int unit) => StageExecutor.ReadStats(_work, _stage, unit);

    /// <summary>The marker to delete to have a unit redone, for messages about a bad unit.</summary>
    public string CompletionOf(int unit) => Path.Combine(_work.CompletionsDir, _stage.UnitName(unit));

    /// <summary>
    /// Refuses a unit made from other bytes of its input <paramref name="file"/> than the merge sees now: the rank
    /// recorded <paramref name="madeFrom"/> (the content checksum it hashed before reading), the merge computed
    /// <paramref name="now"/>.
    /// </summary>
    internal void RequireSameContent(int unit, string file, string? madeFrom, string? now)
    {
        if (madeFrom != now)
            throw new InvalidDataException($"{OutputOf(unit)}: made from an earlier version of {file} (its content changed since); delete {CompletionOf(unit)} and rerun the rank that owns it");
    }

    /// <summary>After the stage's result is written: merged stats.json in the work folder, unit outputs removed.</summary>
    public void Finish() => _work.FinishMerge(Enumerable.Range(0, _stage.UnitCount).Select(_stage.UnitName));

    /// <summary>Releases the work folder's exclusive lock; without <see cref="Finish"/> the units stay for another merge.</summary>
    public void Dispose() => _hold.Dispose();
}
