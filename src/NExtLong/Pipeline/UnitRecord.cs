namespace NExtLong.Pipeline;

/// <summary>stats/UNIT.json: which rank did a unit, how long it took, and the stage's own stats of it.</summary>
/// <typeparam name="TStats">The stage's stats of one unit.</typeparam>
/// <param name="Unit">The unit's number.</param>
/// <param name="Rank">The rank that did it.</param>
/// <param name="WorldSize">The world size that rank ran in.</param>
/// <param name="Seconds">Wall-clock seconds the unit took.</param>
/// <param name="Stats">What the unit did, as the stage reported it.</param>
public sealed record UnitRecord<TStats>(int Unit, int Rank, int WorldSize, double Seconds, TStats Stats);
