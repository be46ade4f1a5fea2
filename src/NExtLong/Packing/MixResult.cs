namespace NExtLong.Packing;

/// <summary>Samples taken from each input (<see cref="Repeated"/> of them a second or later time) and in all.</summary>
public sealed record MixResult(IReadOnlyList<long> Available, IReadOnlyList<long> Taken, IReadOnlyList<long> Repeated, long Samples, long LongestSequence);
