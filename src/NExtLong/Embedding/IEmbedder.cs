namespace NExtLong.Embedding;

/// <summary>
/// Turns chunk texts into L2-normalised vectors, so that inner product is cosine similarity.
/// Implementations must be safe to call from several threads at once.
/// </summary>
public interface IEmbedder : IDisposable
{
    /// <summary>The spec that recreates this embedder (e.g. "glove"); stored in index manifests.</summary>
    string Spec { get; }

    /// <summary>Length of every vector this embedder writes.</summary>
    int Dimension { get; }

    /// <summary>
    /// Embeds <paramref name="texts"/> into <paramref name="destination"/>, row-major:
    /// row i (Dimension floats) is the unit vector of texts[i]. A text with nothing to embed gets a zero vector.
    /// </summary>
    void Embed(IReadOnlyList<string> texts, Span<float> destination);
}
