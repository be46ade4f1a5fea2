namespace NExtLong.Pipeline;

/// <summary>What one rank's run did: the stats of the units it ran now (in unit order), and the counts around them.</summary>
/// <typeparam name="TStats">The stage's stats of one unit.</typeparam>
/// <param name="Done">The stats of the units this run completed, in unit order; units already complete are not among them.</param>
/// <param name="UnitsOwned">Units this rank owns (u mod W = r), complete before or not.</param>
/// <param name="UnitsTotal">Units of the stage, over all ranks.</param>
/// <param name="UnitsSkipped">Units of <paramref name="Done"/> recorded as not needed rather than run.</param>
/// <param name="Seconds">Wall-clock seconds of this rank's run.</param>
public sealed record RankResult<TStats>(IReadOnlyList<TStats> Done, int UnitsOwned, int UnitsTotal, int UnitsSkipped, double Seconds);
