namespace NExtLong.Packing;

/// <summary>Samples taken from each input (<see cref="Repeated"/> of them a second or later time) and in all.</summary>
/// <param name="Available">Samples each input holds, in input order.</param>
/// <param name="Taken">Samples taken from each input.</param>
/// <param name="Repeated">Of those, samples taken a second or later time (the share exceeded what the input holds).</param>
/// <param name="Samples">Samples written in all.</param>
/// <param name="LongestSequence">The most <c>input_ids</c> in one sample; 0 for data without token ids.</param>
public sealed record MixResult(IReadOnlyList<long> Available, IReadOnlyList<long> Taken, IReadOnlyList<long> Repeated, long Samples, long LongestSequence);
