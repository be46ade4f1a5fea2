namespace NExtLong.Output.Megatron;

/// <summary>Which Megatron-LM <c>--tokenizer-type</c> the "megatron" format's ids are written for (<see cref="MegatronIdMapping"/>).</summary>
public enum MegatronTokenizerType
{
    /// <summary>"hf": the target tokenizer's own ids (HuggingFaceTokenizer, Llama3Tokenizer, GPT-NeoX).</summary>
    HuggingFace,

    /// <summary>"tiktoken": Megatron's TikTokenizer, which shifts every rank by its special-token count.</summary>
    TikToken,
}
