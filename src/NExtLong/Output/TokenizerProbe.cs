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

    /// <summary>The probe of <paramref name="tokenizer"/>.</summary>
    public static TokenizerProbe For(TargetTokenizer tokenizer) => new(DefaultText, [.. tokenizer.EncodeToIds(DefaultText)]);

    /// <summary>Throws unless <paramref name="tokenizer"/> encodes <see cref="Text"/> to <see cref="Ids"/>: a probe
    /// recorded in a dataset must be what its documents were cut with.</summary>
    /// <exception cref="InvalidOperationException">The ids differ.</exception>
    public void RequireSameIdsAs(TargetTokenizer tokenizer)
    {
        var ids = tokenizer.EncodeToIds(Text);
        if (!ids.SequenceEqual(Ids))
            throw new InvalidOperationException($"{tokenizer.Name}: the tokenizer probe [{string.Join(", ", Ids)}] is not what the tokenizer gives its text, [{string.Join(", ", ids)}]");
    }

    public bool SameIds(TokenizerProbe other) => Text == other.Text && Ids.SequenceEqual(other.Ids);
}
