namespace NExtLong.Pipeline;

/// <summary>
/// How a stage runs, as opposed to what it makes: worker threads, whether it may replace an output made
/// differently, and which share of the work this process does (rank r of W, or the merge). None of it changes an
/// output's bytes, so none of it is in a config.json. Every stage takes these, so they and their checks are
/// defined here once.
/// </summary>
public sealed record ExecutionOptions
{
    /// <summary>The most worker threads a stage takes.</summary>
    public const int MaxThreads = 1024;

    /// <summary>Every core, up to <see cref="MaxThreads"/>: the default of every stage's thread count.</summary>
    public static int DefaultThreads => Math.Min(Environment.ProcessorCount, MaxThreads);

    /// <summary>Worker threads, 1 to <see cref="MaxThreads"/>; the output does not depend on it.</summary>
    public int Threads { get; init; } = DefaultThreads;

    /// <summary>Replace an existing output that was made differently (never what nextlong did not create).</summary>
    public bool Overwrite { get; init; }

    /// <summary>Do only this rank's share of the work units, into OUT.work (a distributed run); null does everything here.</summary>
    public RankAssignment? Rank { get; init; }

    /// <summary>Merge the work of all ranks into the output (once, after them).</summary>
    public bool Merge { get; init; }

    /// <summary>Throws an <see cref="OptionValidationException"/> for the first option out of range or in conflict.</summary>
    public void Validate()
    {
        OptionValidationException.InRange(nameof(Threads), Threads, 1, MaxThreads);
        if (Rank is not { } rank) return;
        rank.Validate();
        if (Merge)
            throw OptionValidationException.Conflict(nameof(Merge), true, nameof(Rank), rank.Rank, "the merge runs once, after all ranks: drop {Rank}/{WorldSize}");
    }
}
