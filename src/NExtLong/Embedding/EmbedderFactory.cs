using System.IO.Hashing;
using System.Text;
using NExtLong.Embedding.Onnx;

namespace NExtLong.Embedding;

/// <summary>Creates embedders from the spec strings users pass on the command line and manifests record.</summary>
/// <remarks>
/// Grammar: <c>NAME[,KEY=VALUE]...</c> where NAME is <c>glove</c> (alias <c>glove-sif</c>), <c>use-lite</c> or
/// <c>onnx:MODEL_DIR</c>. ONNX embedders take the options of <see cref="OnnxEmbedderSpec"/>; every embedder takes
/// <c>cache=DIR</c>, which wraps it in a <see cref="CachedEmbedder"/> over an <see cref="EmbeddingCache"/> in DIR.
/// </remarks>
public static class EmbedderFactory
{
    private const string Known =
        "Known specs: \"glove\" (alias \"glove-sif\"): built-in GloVe 6B 100-d SIF embedder; \"use-lite\": built-in Universal Sentence Encoder Lite (ONNX, 512-d); "
        + "\"onnx:MODEL_DIR\": an ONNX sentence-embedding model folder (docs/EMBEDDERS.md). Options follow as ,KEY=VALUE (e.g. \"use-lite,cache=.cache/embeddings\").";

    /// <summary>Returns the embedder for <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">The spec is not one of the known specs, or has an unknown option.</exception>
    public static IEmbedder Create(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string[] parts = spec.Trim().Split(',');
        string head = parts[0].Trim();
        var options = new List<(string Key, string Value)>();
        string? cacheDir = null;
        foreach (string part in parts.Skip(1))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"Embedder option '{part}' in '{spec}' is not KEY=VALUE. {Known}", nameof(spec));
            string key = part[..eq].Trim().ToLowerInvariant(), value = part[(eq + 1)..].Trim();
            if (key == "cache")
                cacheDir = value;
            else
                options.Add((key, value));
        }

        IEmbedder embedder;
        UInt128 modelKey;
        string lowered = head.ToLowerInvariant();
        if (lowered is GloveSifEmbedder.SpecName or "glove-sif")
        {
            if (options.Count > 0)
                throw new ArgumentException($"The glove embedder takes no option but cache; got '{options[0].Key}'.", nameof(spec));
            embedder = GloveSifEmbedder.Shared;
            modelKey = XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(GloveSifEmbedder.SpecName));
        }
        else if (OnnxEmbedderSpec.Matches(lowered == OnnxEmbedderSpec.UseLiteName ? lowered : head))
        {
            var onnx = OnnxEmbedderSpec.Parse(lowered == OnnxEmbedderSpec.UseLiteName ? lowered : head, options).Open();
            embedder = onnx;
            modelKey = onnx.ModelKey;
        }
        else
        {
            throw new ArgumentException($"Unknown embedder spec '{spec}'. {Known}", nameof(spec));
        }

        if (cacheDir is null)
            return embedder;
        try
        {
            return new CachedEmbedder(embedder, new EmbeddingCache(cacheDir, modelKey, embedder.Dimension));
        }
        catch
        {
            embedder.Dispose();
            throw;
        }
    }
}
