namespace NExtLong.Embedding.Onnx;

/// <summary>Which implementation's Viterbi rules a <see cref="UnigramTokenizer"/> reproduces.</summary>
internal enum UnigramDialect
{
    /// <summary>
    /// The Universal Sentence Encoder's JavaScript tokenizer: the whole text is one lattice; ties and a best score of
    /// exactly 0 go to the later candidate; a position no piece starts at is one unknown character scoring 0.
    /// </summary>
    UseLite,

    /// <summary>
    /// Hugging Face tokenizers' Unigram model after a WhitespaceSplit + Metaspace pre-tokenizer: each word, prefixed
    /// with ▁, is its own lattice; the first best candidate wins; a position without a one-character piece may also
    /// be one unknown character scoring the lowest piece score minus 10.
    /// </summary>
    HuggingFace,
}
