using NExtLong.Tokenization;

namespace NExtLong.Output.Megatron;

/// <summary>
/// How the "megatron" format's ids mean what the Megatron-LM run reads. With <c>--tokenizer-type TikTokenizer</c>
/// Megatron (megatron/training/tokenizer/tokenizer.py, CustomTikTokenizer) numbers its own special tokens first,
/// &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2 (its eod) and fillers up to <c>--tiktoken-num-special-tokens</c> N
/// (default 1000), and gives tiktoken rank r the id r + N. Raw tiktoken ids would be other tokens there, and
/// <c>--eod-mask-loss</c> would never see the end of a document. "hf" keeps the tokenizer's ids.
/// </summary>
internal sealed class MegatronIdMapping
{
    public const int DefaultNumSpecialTokens = 1000;

    /// <summary>&lt;s&gt; and &lt;/s&gt; in Megatron's TikTokenizer (after &lt;unk&gt; 0).</summary>
    public const int TikTokenBos = 1, TikTokenEos = 2;

    private readonly int? _sourceBos, _sourceEos;

    /// <summary>Ids below this are the tokenizer's regular tokens (ranks); its special tokens come after.</summary>
    private readonly int _regularTokens;

    private MegatronIdMapping(MegatronTokenizerType type, int shift, int? sourceBos, int? sourceEos, int regularTokens, int vocabularySize)
    {
        Type = type;
        Shift = shift;
        _sourceBos = sourceBos;
        _sourceEos = sourceEos;
        _regularTokens = regularTokens;
        VocabularySize = vocabularySize;
    }

    public MegatronTokenizerType Type { get; }

    /// <summary>Added to every regular id: 0 for "hf", N for "tiktoken".</summary>
    public int Shift { get; }

    /// <summary>Ids the Megatron tokenizer must cover: "tiktoken" needs <c>--vocab-size</c> at least this.</summary>
    public int VocabularySize { get; }

    /// <summary>The id written for the tokenizer's BOS, if it has one.</summary>
    public int? BosId => _sourceBos is null ? null : Type == MegatronTokenizerType.TikToken ? TikTokenBos : _sourceBos;

    /// <summary>The id written for the tokenizer's EOS: Megatron's eod, which --eod-mask-loss and --reset-* look for.</summary>
    public int? EosId => _sourceEos is null ? null : Type == MegatronTokenizerType.TikToken ? TikTokenEos : _sourceEos;

    public static string Name(MegatronTokenizerType type) => type == MegatronTokenizerType.TikToken ? "tiktoken" : "hf";

    /// <summary>Parses "hf" or "tiktoken".</summary>
    public static MegatronTokenizerType Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "hf" => MegatronTokenizerType.HuggingFace,
        "tiktoken" => MegatronTokenizerType.TikToken,
        _ => throw new ArgumentException($"--megatron-tokenizer: unknown value \"{name}\"; use hf or tiktoken"),
    };

    /// <summary>How the target tokenizer's ids are written so that Megatron's tokenizer of <paramref name="type"/> reads them back.</summary>
    /// <param name="tokenizer">The target tokenizer the documents were cut with.</param>
    /// <param name="type">The tokenizer Megatron will be given: "hf" (ids as they are) or "tiktoken" (ids shifted past Megatron's own special tokens).</param>
    /// <param name="numSpecialTokens">Megatron's --tiktoken-num-special-tokens; null for its default, only with "tiktoken".</param>
    /// <exception cref="ArgumentException">A combination that means nothing: "tiktoken" for a tokenizer that is no tiktoken encoding, N on "hf", N &lt; 3.</exception>
    public static MegatronIdMapping Create(TargetTokenizer tokenizer, MegatronTokenizerType type, int? numSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (type == MegatronTokenizerType.HuggingFace)
        {
            if (numSpecialTokens is not null)
                throw new ArgumentException("--megatron-num-special-tokens applies only to --megatron-tokenizer tiktoken");
            int size = TokenizerVocabulary.Size(tokenizer);
            return new MegatronIdMapping(type, 0, tokenizer.BosId, tokenizer.EosId, size, size);
        }
        if (tokenizer.TiktokenSpecialTokens is not { Count: > 0 } special)
            throw new ArgumentException($"--megatron-tokenizer tiktoken: {tokenizer.Name} is not a tiktoken encoding; use --megatron-tokenizer hf");
        int n = numSpecialTokens ?? DefaultNumSpecialTokens;
        if (n < 3)
            throw new ArgumentException($"--megatron-num-special-tokens {n}: Megatron's TikTokenizer needs at least 3 (<unk>, <s>, </s>)");
        int regular = special.Values.Min();
        return new MegatronIdMapping(type, n, tokenizer.BosId, tokenizer.EosId, regular, n + regular);
    }

    /// <summary>The id Megatron's tokenizer gives the token <paramref name="id"/> of the target tokenizer.</summary>
    public int Map(int id)
    {
        if (Shift == 0)
            return id;
        if (id == _sourceEos)
            return TikTokenEos;
        if (id == _sourceBos)
            return TikTokenBos;
        if ((uint)id >= (uint)_regularTokens)
            throw new ArgumentOutOfRangeException(nameof(id), id, "special token with no id in Megatron's TikTokenizer (only BOS and EOS map)");
        return id + Shift;
    }

    /// <summary>The "megatron_tokenizer" entry of config.json.</summary>
    public Dictionary<string, object?> ToConfig() => new()
    {
        ["type"] = Name(Type),
        ["shift"] = Shift,
        ["eod_id"] = EosId,
        ["bos_id"] = BosId,
        ["vocab_size"] = VocabularySize,
    };
}
