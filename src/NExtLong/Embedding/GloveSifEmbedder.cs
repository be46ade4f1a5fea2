using System.Numerics.Tensors;

namespace NExtLong.Embedding;

/// <summary>
/// Built-in embedder that needs no download: the SIF-weighted mean (Arora et al. 2017) of the GloVe 6B 100-d vectors
/// of a text's words, L2-normalised. The vectors of the 100,000 most frequent words are embedded in this assembly.
/// </summary>
/// <remarks>
/// Tokens are maximal runs of letters and digits, lowercased, so "e-mail" is "e" and "mail". An apostrophe (' or ’)
/// followed by an English clitic (s, t, d, m, re, ve, ll) ends the word and the clitic is dropped, because GloVe was
/// tokenized the Penn Treebank way ("it 's", "do n't") and this vocabulary has no clitic tokens; for "n't" the "n"
/// goes with the clitic as in the Treebank ("don't" is "do", "can't" is "ca"). Any other apostrophe separates two
/// tokens. Unknown tokens are skipped. Word weights are a / (a + p(w)) with a = 1e-3 and p(w) a Zipf prior over the
/// vocabulary ranks, p(r) ∝ 1 / (r + 1), because the asset carries ranks but no counts.
/// </remarks>
internal sealed class GloveSifEmbedder : IEmbedder
{
    /// <summary>The spec <see cref="EmbedderFactory"/> maps to this embedder.</summary>
    public const string SpecName = "glove";

    private const double SifA = 1e-3;

    private static readonly Lazy<GloveSifEmbedder> SharedInstance =
        new(() => new GloveSifEmbedder(GloveAsset.Embedded), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly GloveAsset _asset;
    private readonly float[] _weights;

    internal GloveSifEmbedder(GloveAsset asset)
    {
        _asset = asset;
        _weights = SifWeights(asset.WordCount);
    }

    /// <summary>The embedder over the embedded asset, loaded on first use and shared by all callers.</summary>
    public static GloveSifEmbedder Shared => SharedInstance.Value;

    public string Spec => SpecName;

    public int Dimension => _asset.Dimension;

    public void Embed(IReadOnlyList<string> texts, Span<float> destination) => Embed(texts, destination, CancellationToken.None);

    /// <summary>Checks <paramref name="ct"/> every <see cref="CancellationCheckTexts"/> texts (a few milliseconds of work).</summary>
    public void Embed(IReadOnlyList<string> texts, Span<float> destination, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int dimension = Dimension;
        if (destination.Length < (long)texts.Count * dimension)
            throw new ArgumentException($"Destination holds {destination.Length} floats; {texts.Count} texts need {(long)texts.Count * dimension}.", nameof(destination));

        // The asset format caps words at 255 UTF-8 bytes, so this stays small.
        Span<char> lowered = stackalloc char[_asset.MaxWordLength];
        for (int i = 0; i < texts.Count; i++)
        {
            if (i % CancellationCheckTexts == 0) ct.ThrowIfCancellationRequested();
            EmbedOne(texts[i], lowered, destination.Slice(i * dimension, dimension));
        }
    }

    private const int CancellationCheckTexts = 256;

    /// <summary>Nothing to release: the vectors are shared, immutable and owned by the garbage collector.</summary>
    public void Dispose()
    {
    }

    private void EmbedOne(ReadOnlySpan<char> text, Span<char> lowered, Span<float> row)
    {
        row.Clear();
        int i = 0;
        while (i < text.Length)
        {
            if (!IsWordChar(text[i]))
            {
                i++;
                continue;
            }

            int start = i;
            while (i < text.Length && IsWordChar(text[i]))
                i++;
            int end = i;

            if (i + 1 < text.Length && (text[i] is '\'' or '\u2019') && IsWordChar(text[i + 1]))
            {
                int cliticEnd = i + 1;
                while (cliticEnd < text.Length && IsWordChar(text[cliticEnd]))
                    cliticEnd++;
                var clitic = text[(i + 1)..cliticEnd];
                if (IsClitic(clitic))
                {
                    if (end - start > 1 && clitic.Equals("t", StringComparison.OrdinalIgnoreCase) && char.ToLowerInvariant(text[end - 1]) == 'n')
                        end--;
                    i = cliticEnd;
                }
            }

            AddWord(text[start..end], lowered, row);
        }

        float norm = TensorPrimitives.Norm(row);
        if (norm > 0)
            TensorPrimitives.Divide(row, norm, row);
    }

    private void AddWord(ReadOnlySpan<char> word, Span<char> lowered, Span<float> row)
    {
        if (word.Length > lowered.Length)
            return;
        int length = word.ToLowerInvariant(lowered);
        if (_asset.TryGetIndex(lowered[..length], out int index))
            TensorPrimitives.MultiplyAdd(_asset.Vector(index), _weights[index], row, row);
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || (c > '\u007f' && char.IsLetterOrDigit(c));

    private static bool IsClitic(ReadOnlySpan<char> s) =>
        s.Equals("s", StringComparison.OrdinalIgnoreCase) || s.Equals("t", StringComparison.OrdinalIgnoreCase)
        || s.Equals("d", StringComparison.OrdinalIgnoreCase) || s.Equals("m", StringComparison.OrdinalIgnoreCase)
        || s.Equals("re", StringComparison.OrdinalIgnoreCase) || s.Equals("ve", StringComparison.OrdinalIgnoreCase)
        || s.Equals("ll", StringComparison.OrdinalIgnoreCase);

    private static float[] SifWeights(int count)
    {
        // Summing the smallest terms first keeps the normaliser accurate.
        double harmonic = 0;
        for (int rank = count; rank >= 1; rank--)
            harmonic += 1.0 / rank;

        var weights = new float[count];
        for (int rank = 0; rank < count; rank++)
            weights[rank] = (float)(SifA / (SifA + 1.0 / ((rank + 1) * harmonic)));
        return weights;
    }
}
