using NExtLong.Tokenization;

namespace NExtLong.Output;

/// <summary>
/// Which special tokens frame a document in the tokenized formats: input_ids = [BOS?] + text ids + [EOS?].
/// By default each token the tokenizer has is added — Llama 3: BOS 128000 and EOS 128001 (what datatools' pack
/// adds and ProLong's data starts with); cl100k_base / o200k_base: EOS &lt;|endoftext|&gt; only, as Megatron's
/// --append-eod does, since they have no BOS. A document of exactly T text tokens is then T + <see cref="Count"/>
/// ids long; <see cref="SequenceLength"/> is what the writers write and report.
/// </summary>
/// <param name="Bos">The id put before each document's text ids; null for none.</param>
/// <param name="Eos">The id put after them; null for none.</param>
public sealed record SpecialTokenPolicy(int? Bos, int? Eos)
{
    /// <summary>No special tokens: the ids are the text's alone (also what text-only outputs use).</summary>
    public static readonly SpecialTokenPolicy None = new(null, null);

    /// <summary>Special tokens added per document.</summary>
    public int Count => (Bos is null ? 0 : 1) + (Eos is null ? 0 : 1);

    /// <summary>The policy for <paramref name="tokenizer"/> given --add-bos and --add-eos.</summary>
    /// <param name="tokenizer">The target tokenizer, whose BOS and EOS ids are used.</param>
    /// <param name="addBos">true: add BOS (the tokenizer must have one); false: never; null: if it has one.</param>
    /// <param name="addEos">Likewise for EOS.</param>
    /// <exception cref="ArgumentException">A token is asked for that the tokenizer does not have.</exception>
    public static SpecialTokenPolicy Resolve(TargetTokenizer tokenizer, bool? addBos, bool? addEos)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (addBos == true && tokenizer.BosId is null)
            throw new ArgumentException($"--add-bos: tokenizer {tokenizer.Name} has no beginning-of-text token");
        if (addEos == true && tokenizer.EosId is null)
            throw new ArgumentException($"--add-eos: tokenizer {tokenizer.Name} has no end-of-text token");
        return new SpecialTokenPolicy(addBos == false ? null : tokenizer.BosId, addEos == false ? null : tokenizer.EosId);
    }

    /// <summary>Ids written for a document of <paramref name="textTokens"/> text tokens.</summary>
    public int SequenceLength(int textTokens) => textTokens + Count;

    /// <summary>Writes [BOS?] + <paramref name="textIds"/> + [EOS?] to <paramref name="dest"/>; returns the length.</summary>
    public int Frame(ReadOnlySpan<int> textIds, Span<int> dest)
    {
        int at = 0;
        if (Bos is int bos) dest[at++] = bos;
        textIds.CopyTo(dest[at..]);
        at += textIds.Length;
        if (Eos is int eos) dest[at++] = eos;
        return at;
    }
}
