using NExtLong.Output.Mds;

namespace NExtLong.Packing;

/// <summary>How <see cref="DatasetMixer"/> mixes datasets.</summary>
public sealed record MixOptions
{
    /// <summary>Samples in the mixture; null: as many as the inputs give without repeating any.</summary>
    public long? NumSamples { get; init; }

    /// <summary>Seeds which samples each input gives and the order they are written in; any value, default 42.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>How the mixture's MDS shards are cut, compressed and hashed; not null.</summary>
    public MdsWriterOptions Mds { get; init; } = new();

    /// <summary>Replace an MDS dataset already in the output folder.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Throws an <see cref="OptionValidationException"/> for a sample count below 1; called before any file is written.</summary>
    public void Validate()
    {
        if (NumSamples is { } n) OptionValidationException.AtLeast(nameof(NumSamples), n, 1);
        if (Mds is null) throw OptionValidationException.OutOfRange(nameof(Mds), null, "MDS writer options");
    }
}
