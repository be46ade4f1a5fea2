using NExtLong.Output.Mds;

namespace NExtLong.Packing;

/// <summary>How <see cref="SequencePacker"/> packs documents into training sequences.</summary>
public sealed record PackOptions
{
    /// <summary>Ids per packed sequence at most: 524,288 packs eight 64K documents into a 512K sequence.</summary>
    public int PackLength { get; init; } = 524_288;

    /// <summary>Shorter sequences are dropped; null means <see cref="PackLength"/> (only full sequences).</summary>
    public int? MinLength { get; init; }

    /// <summary>Pack documents in a seeded random order (true) or in input order.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Seeds the packing order when <see cref="Shuffle"/> is on; any value, default 42.</summary>
    public ulong Seed { get; init; } = 42;

    /// <summary>The <c>domain</c> of every sequence; null: the domain of its first document.</summary>
    public string? Domain { get; init; }

    /// <summary>How the packed MDS shards are cut, compressed and hashed; not null.</summary>
    public MdsWriterOptions Mds { get; init; } = new();

    /// <summary>Replace an MDS dataset already in the output folder.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Throws an <see cref="OptionValidationException"/> for a length outside its range; called before any file is written.</summary>
    public void Validate()
    {
        OptionValidationException.AtLeast(nameof(PackLength), PackLength, 2, "a sequence of one id has nothing to predict");
        if (MinLength is { } min)
            OptionValidationException.InRange(nameof(MinLength), min, 1, PackLength, "no sequence is longer than {PackLength}, so a larger minimum would drop everything");
        if (Mds is null) throw OptionValidationException.OutOfRange(nameof(Mds), null, "MDS writer options");
    }
}
