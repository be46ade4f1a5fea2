namespace NExtLong.Pipeline;

/// <summary>stats/UNIT.json: which rank did a unit, how long it took, and the stage's own stats of it.</summary>
public sealed record UnitRecord<TStats>(int Unit, int Rank, int WorldSize, double Seconds, TStats Stats);
