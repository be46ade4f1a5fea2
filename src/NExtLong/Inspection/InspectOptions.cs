using NExtLong.Tokenization;

namespace NExtLong.Inspection;

/// <summary>What <see cref="DatasetInspector"/> shows.</summary>
public sealed record InspectOptions
{
    /// <summary>Stops a scan over the data (checked per sample, row group or line).</summary>
    public CancellationToken Cancellation { get; init; }

    /// <summary>Which sample (0-based) to show.</summary>
    public long Sample { get; init; }

    /// <summary>Characters of each text shown.</summary>
    public int MaxChars { get; init; } = 300;

    /// <summary>Array items (token ids, rows) shown.</summary>
    public int MaxItems { get; init; } = 16;

    /// <summary>Read every record to count tokens (true), or only what indexes and footers say (false).</summary>
    public bool Scan { get; init; } = true;

    /// <summary>Decodes the sample's token ids to text when given.</summary>
    public TargetTokenizer? Tokenizer { get; init; }

    /// <summary>Throws an <see cref="OptionValidationException"/> for a negative sample index or limit.</summary>
    public void Validate()
    {
        OptionValidationException.AtLeast(nameof(Sample), Sample, 0);
        OptionValidationException.AtLeast(nameof(MaxChars), MaxChars, 0);
        OptionValidationException.AtLeast(nameof(MaxItems), MaxItems, 0);
    }
}
