namespace NExtLong.Pipeline;

/// <summary>
/// A stage as the executors see it (datatrove's shape): the plan its units are made for, its work units (fixed by
/// the data, never by the number of ranks), and how to run one. The executors (<see cref="StageExecutor"/>) own
/// everything around that — the work folder, locks, completion markers with the plan's fingerprint, typed unit
/// stats, timing — and the stage's own merge reads the units back through a <see cref="MergeSession{TStats}"/>.
/// A stage never sees a rank, a world size or Slurm.
/// </summary>
/// <typeparam name="TStats">What one unit did, saved as stats/UNIT.json and handed back to the merge.</typeparam>
public interface IDistributedStage<TStats>
{
    /// <summary>The stage's name in messages: "index", "embed", "synthesize".</summary>
    string Name { get; }

    /// <summary>Everything that decides the units' bytes; a completion marker made for another plan never counts.</summary>
    string Plan { get; }

    /// <summary>The work units, numbered 0 to <c>UnitCount - 1</c>; fixed by the data (input files, candidate blocks).</summary>
    int UnitCount { get; }

    /// <summary>The unit's name in the work folder (output, stats and completion marker), e.g. "unit-00007"; distinct per unit.</summary>
    string UnitName(int unit);

    /// <summary>
    /// Does the unit, writing its output at <paramref name="output"/> (a file or folder, complete once renamed into
    /// place), and says what it did.
    /// </summary>
    TStats Run(int unit, string output, CancellationToken ct);

    /// <summary>
    /// Null when the unit must run; else the stats to record for a unit the completed units before it prove unneeded
    /// (<paramref name="completed"/> gives a unit's stats, or null while it is not complete).
    /// </summary>
    TStats? Unneeded(int unit, Func<int, TStats?> completed) => default;
}
