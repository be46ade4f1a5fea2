using System.Numerics.Tensors;

namespace NExtLong.Index;

/// <summary>
/// One unit vector per indexed document, the normalised mean of its chunk vectors, searchable with an exact index.
/// The document-level baselines (KNN, ICLM) need document similarity; deriving it from the chunk vectors keeps
/// every method on one corpus and one index.
/// </summary>
internal sealed class DocumentVectors : IDisposable
{
    private readonly float[] _vectors;

    public DocumentVectors(ChunkIndex index, CancellationToken ct = default)
    {
        int d = index.Vectors.Dimension, n = index.DocumentCount;
        Dimension = d;
        _vectors = new float[(long)n * d];
        var chunk = new float[d];
        for (int doc = 0; doc < n; doc++)
        {
            if (doc % 4096 == 0) ct.ThrowIfCancellationRequested();
            var record = index.Document(doc);
            var row = _vectors.AsSpan(doc * d, d);
            for (long c = record.FirstChunk; c < record.FirstChunk + record.ChunkCount; c++)
            {
                index.ReadVector(c, chunk);
                TensorPrimitives.Add(row, chunk, row);
            }
            float norm = TensorPrimitives.Norm(row);
            if (norm > 0) TensorPrimitives.Divide(row, norm, row);
        }
        Index = new FlatIndex(d);
        Index.Add(_vectors);
    }

    public int Dimension { get; }

    /// <summary>Exact search over the document vectors; ids are document ordinals.</summary>
    public FlatIndex Index { get; }

    public ReadOnlySpan<float> Of(int doc) => _vectors.AsSpan(doc * Dimension, Dimension);

    public float Similarity(int a, int b) => TensorPrimitives.Dot(Of(a), Of(b));

    public void Dispose() => Index.Dispose();
}
