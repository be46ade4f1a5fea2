using System.Numerics.Tensors;

namespace NExtLong.Tests;

/// <summary>
/// The tiny ONNX models of tools/onnx-test-models/make-tiny-models.py and an independent calculation of what an
/// embedder should make of them: every token's vector is tanh(E[id] + P[position] + X[extra]) with weights from the
/// generator's closed formulas.
/// </summary>
internal static class TinyModels
{
    public const int Hidden = 8;

    public static string Bert => Path.Combine(SampleCorpus.Root, "tests", "NExtLong.Tests", "Data", "onnx", "tiny-bert");

    public static string Jina => Path.Combine(SampleCorpus.Root, "tests", "NExtLong.Tests", "Data", "onnx", "tiny-jina");

    public static string SentencePieceModel => Path.Combine(SampleCorpus.Root, "tests", "NExtLong.Tests", "Data", "onnx", "tiny.model");

    public static string SentencePieceIds => Path.Combine(SampleCorpus.Root, "tests", "NExtLong.Tests", "Data", "onnx", "sentencepiece-ids.json");

    private static float Embedding(int id, int j) => (float)Math.Sin(0.61 * id + 1.7 * j);

    private static float Position(int p, int j) => (float)(0.3 * Math.Cos(0.23 * p + 0.9 * j));

    private static float Extra(int t, int j) => (float)(0.1 * (t + 1) * ((j % 3) - 1));

    /// <summary>The vector of a text with content <paramref name="ids"/>, cut into windows as the embedder documents.</summary>
    public static float[] Expected(IReadOnlyList<int> ids, int[] start, int[] end, int maxTokens, int extra,
        string pooling = "mean", int dimension = Hidden, bool normalize = true)
    {
        int content = maxTokens - start.Length - end.Length;
        var sum = new float[dimension];
        for (int s = 0; s < ids.Count; s += content)
        {
            var window = start.Concat(ids.Skip(s).Take(content)).Concat(end).ToArray();
            var pooled = new float[Hidden];
            int tokens = pooling == "cls" ? 1 : window.Length;
            for (int t = 0; t < tokens; t++)
                for (int j = 0; j < Hidden; j++)
                    pooled[j] += MathF.Tanh(Embedding(window[t], j) + Position(t, j) + Extra(extra, j)) / tokens;
            var kept = pooled.AsSpan(0, dimension);
            if (normalize)
                TensorPrimitives.Divide(kept, TensorPrimitives.Norm(kept), kept);
            TensorPrimitives.MultiplyAdd(kept, Math.Min(content, ids.Count - s), sum, sum);
        }
        float norm = TensorPrimitives.Norm(sum);
        if (norm > 0)
            TensorPrimitives.Divide(sum, norm, sum);
        return sum;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]}");
    }
}
