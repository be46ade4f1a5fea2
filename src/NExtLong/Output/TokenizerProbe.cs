using NExtLong.Tokenization;

namespace NExtLong.Output;

/// <summary>
/// A fixed text and the ids a dataset's tokenizer gives it. Recorded with the dataset, so a training recipe can
/// check that a model's tokenizer reads the ids the same way (same text, same ids), and so two datasets whose
/// tokenizers share a name but not their vocabulary (two tiktoken files) are told apart.
/// </summary>
internal sealed record TokenizerProbe(string Text, IReadOnlyList<int> Ids)
{
    /// <summary>Words, digits, accents and punctuation: text on which tokenizers with different vocabularies disagree.</summary>
    public const string DefaultText = "NExtLong extends documents: 12,345 naïve café tokens (ICML 2025).";

    public static TokenizerProbe For(TargetTokenizer tokenizer) => new(DefaultText, [.. tokenizer.EncodeToIds(DefaultText)]);

    public bool SameIds(TokenizerProbe other) => Text == other.Text && Ids.SequenceEqual(other.Ids);
}
