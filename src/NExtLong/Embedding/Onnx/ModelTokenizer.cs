namespace NExtLong.Embedding.Onnx;

/// <summary>
/// The tokenizer of an ONNX embedding model: it turns text into content ids, without special tokens, so that a long
/// text can be cut into windows that each get the model's special tokens around them. Safe for concurrent use.
/// </summary>
internal abstract class ModelTokenizer
{
    /// <summary>Ids every window starts with, e.g. [CLS] for BERT or &lt;s&gt; for XLM-R; empty for USE-lite.</summary>
    public abstract IReadOnlyList<int> WindowStart { get; }

    /// <summary>Ids every window ends with, e.g. [SEP] or &lt;/s&gt;.</summary>
    public abstract IReadOnlyList<int> WindowEnd { get; }

    /// <summary>Id that pads a window to its batch's length (masked out).</summary>
    public abstract int PadId { get; }

    /// <summary>Appends the content ids of <paramref name="text"/> to <paramref name="ids"/>.</summary>
    public abstract void Encode(string text, List<int> ids);
}
