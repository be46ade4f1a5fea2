namespace NExtLong.Pipeline;

/// <summary>
/// Which share of a stage's work units this process does: rank r of world size W owns the units u with
/// u mod W = r. Units are fixed by the data (input files, candidate blocks), never by W, so any W merges into the
/// same result. Slurm job arrays give the rank and world size through their environment variables.
/// </summary>
/// <param name="Rank">This process's rank r, 0 to W − 1.</param>
/// <param name="WorldSize">The number of ranks W; at least 1.</param>
public readonly record struct RankAssignment(int Rank, int WorldSize)
{
    /// <summary>The units of <paramref name="unitCount"/> this rank owns, in increasing order.</summary>
    public IEnumerable<int> Units(int unitCount)
    {
        for (int u = Rank; u < unitCount; u += WorldSize) yield return u;
    }

    /// <summary>"rank R of W", as progress and error messages name the process.</summary>
    public override string ToString() => $"rank {Rank} of {WorldSize}";

    /// <summary>Throws an <see cref="OptionValidationException"/> unless W ≥ 1 and 0 ≤ r &lt; W.</summary>
    public void Validate()
    {
        OptionValidationException.AtLeast(nameof(WorldSize), WorldSize, 1);
        OptionValidationException.InRange(nameof(Rank), Rank, 0, WorldSize - 1, "a rank is in [0, {WorldSize})");
    }

    /// <summary>
    /// The assignment from explicit options, else from a Slurm array task's environment
    /// (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT), else null: not a distributed run.
    /// </summary>
    public static RankAssignment? Resolve(int? rank, int? worldSize, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (rank is null != worldSize is null)
            throw new ArgumentException("--rank and --world-size go together");
        if (rank is { } r && worldSize is { } w)
        {
            var given = new RankAssignment(r, w);
            given.Validate();
            return given;
        }
        string? id = environment("SLURM_ARRAY_TASK_ID"), count = environment("SLURM_ARRAY_TASK_COUNT");
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(count)) return null;
        int min = int.TryParse(environment("SLURM_ARRAY_TASK_MIN"), out int m) ? m : 0;
        if (!int.TryParse(id, out int taskId) || !int.TryParse(count, out int taskCount))
            throw new ArgumentException($"SLURM_ARRAY_TASK_ID='{id}' / SLURM_ARRAY_TASK_COUNT='{count}' are not numbers");
        return Validated(taskId - min, taskCount, "the Slurm array variables (an array must be contiguous, e.g. 0-7)");
    }

    private static RankAssignment Validated(int rank, int worldSize, string from)
    {
        if (worldSize < 1 || rank < 0 || rank >= worldSize)
            throw new ArgumentException($"rank {rank} of world size {worldSize} from {from}: need 0 <= rank < world size");
        return new RankAssignment(rank, worldSize);
    }
}
