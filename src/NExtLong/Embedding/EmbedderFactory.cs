namespace NExtLong.Embedding;

/// <summary>Creates embedders from the spec strings users pass on the command line and manifests record.</summary>
public static class EmbedderFactory
{
    /// <summary>
    /// Returns the embedder for <paramref name="spec"/>: "glove" (alias "glove-sif") is the built-in GloVe SIF embedder.
    /// </summary>
    /// <exception cref="ArgumentException">The spec is not one of the known specs.</exception>
    public static IEmbedder Create(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Trim().ToLowerInvariant() switch
        {
            GloveSifEmbedder.SpecName or "glove-sif" => GloveSifEmbedder.Shared,
            _ => throw new ArgumentException(
                $"Unknown embedder spec '{spec}'. Known specs: \"{GloveSifEmbedder.SpecName}\" (alias \"glove-sif\"): built-in GloVe 6B 100-d SIF embedder.",
                nameof(spec)),
        };
    }
}
