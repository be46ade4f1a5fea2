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

    /// <summary>
    /// <see cref="Embed(IReadOnlyList{string}, Span{float})"/> that stops with <see cref="OperationCanceledException"/>
    /// soon after <paramref name="ct"/> is cancelled (between the embedder's own batches, and for ONNX inside a run),
    /// so that a call over thousands of texts does not delay a shutdown. The vectors do not depend on it.
    /// </summary>
    void Embed(IReadOnlyList<string> texts, Span<float> destination, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Embed(texts, destination);
        ct.ThrowIfCancellationRequested();
    }
}
