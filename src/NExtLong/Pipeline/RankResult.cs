namespace NExtLong.Pipeline;

/// <summary>What one rank's run did: the stats of the units it ran now (in unit order), and the counts around them.</summary>
/// <param name="UnitsSkipped">Units of <paramref name="Done"/> recorded as not needed rather than run.</param>
public sealed record RankResult<TStats>(IReadOnlyList<TStats> Done, int UnitsOwned, int UnitsTotal, int UnitsSkipped, double Seconds);
