namespace NExtLong.Retrieval;

/// <summary>The names of <see cref="HybridFusion"/> values, as the CLI takes them and config.json records them.</summary>
public static class HybridFusions
{
    /// <summary>rrf or rerank.</summary>
    public static string Name(this HybridFusion fusion) => fusion switch
    {
        HybridFusion.ReciprocalRank => "rrf",
        HybridFusion.Rerank => "rerank",
        _ => throw new ArgumentOutOfRangeException(nameof(fusion), fusion, null),
    };

    /// <summary>The fusion named <paramref name="name"/> (rrf or rerank, any case).</summary>
    /// <exception cref="OptionValidationException">Another name.</exception>
    public static HybridFusion Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "rrf" => HybridFusion.ReciprocalRank,
        "rerank" => HybridFusion.Rerank,
        _ => throw OptionValidationException.OutOfRange("Hybrid", name, "rrf or rerank"),
    };
}
