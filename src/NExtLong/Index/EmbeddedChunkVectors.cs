using NExtLong.Embedding;

namespace NExtLong.Index;

/// <summary>Vectors embedded here: a batch's texts cut into one slice per thread, written in order, so the result does not depend on the thread count.</summary>
internal sealed class EmbeddedChunkVectors(IEmbedder embedder, int threads) : IChunkVectorSource
{
    public string Spec => embedder.Spec;

    public int Dimension => embedder.Dimension;

    public void Fill(IReadOnlyList<string> texts, float[] destination, CancellationToken ct)
    {
        int d = embedder.Dimension, count = texts.Count;
        var list = texts as List<string> ?? [.. texts];
        int slices = Math.Max(1, Math.Min(threads, count));
        Parallel.For(0, slices, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = ct }, s =>
        {
            int from = (int)((long)count * s / slices), to = (int)((long)count * (s + 1) / slices);
            embedder.Embed(list.GetRange(from, to - from), destination.AsSpan(from * d, (to - from) * d), ct);
        });
    }
}
