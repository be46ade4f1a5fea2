using System.Buffers;

namespace NExtLong.Embedding;

/// <summary>
/// An embedder that looks each text up in an <see cref="EmbeddingCache"/> first and embeds only the misses with the
/// embedder it wraps, adding them to the cache. The vectors, spec and dimension are the wrapped embedder's, so the
/// index builder and the stages use it like any other embedder.
/// </summary>
internal sealed class CachedEmbedder(IEmbedder inner, EmbeddingCache cache) : IEmbedder
{
    private long _hits;
    private long _misses;

    public string Spec => inner.Spec;

    public int Dimension => inner.Dimension;

    public EmbeddingCache Cache => cache;

    /// <summary>Texts found in the cache so far.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Distinct texts embedded (not found) so far; a text repeated within one call counts as a hit after the first.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    public void Embed(IReadOnlyList<string> texts, Span<float> destination) => Embed(texts, destination, CancellationToken.None);

    public void Embed(IReadOnlyList<string> texts, Span<float> destination, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int d = Dimension;
        if (destination.Length < (long)texts.Count * d)
            throw new ArgumentException($"Destination holds {destination.Length} floats; {texts.Count} texts need {(long)texts.Count * d}.", nameof(destination));
        // A text repeated within the call (boilerplate chunks) is embedded once.
        var missTexts = new List<string>();
        var missKeys = new List<UInt128>();
        var missOf = new Dictionary<UInt128, int>();
        var rows = new List<(int Row, int Miss)>();
        for (int i = 0; i < texts.Count; i++)
        {
            var key = EmbeddingCache.KeyOf(texts[i]);
            if (cache.TryGet(key, destination.Slice(i * d, d)))
                continue;
            if (!missOf.TryGetValue(key, out int miss))
            {
                missOf[key] = miss = missTexts.Count;
                missTexts.Add(texts[i]);
                missKeys.Add(key);
            }
            rows.Add((i, miss));
        }
        Interlocked.Add(ref _hits, texts.Count - missTexts.Count);
        Interlocked.Add(ref _misses, missTexts.Count);
        if (missTexts.Count == 0)
            return;
        float[] vectors = ArrayPool<float>.Shared.Rent(missTexts.Count * d);
        try
        {
            var embedded = vectors.AsSpan(0, missTexts.Count * d);
            inner.Embed(missTexts, embedded, ct);
            foreach (var (row, miss) in rows)
                embedded.Slice(miss * d, d).CopyTo(destination.Slice(row * d, d));
            cache.Add(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(missKeys), embedded);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(vectors);
        }
    }

    public void Dispose()
    {
        cache.Dispose();
        inner.Dispose();
    }
}
