using Microsoft.ML.Tokenizers;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// SentencePiece .model tokenizer (XLM-R family, jina-embeddings-v3): &lt;s&gt; window &lt;/s&gt;. With fairseq ids
/// (XLM-R, CamemBERT), ids are shifted as the Hugging Face tokenizers do: &lt;s&gt;=0, &lt;pad&gt;=1, &lt;/s&gt;=2,
/// &lt;unk&gt;=3 and every other piece at its SentencePiece id + 1.
/// </summary>
internal sealed class SentencePieceModelTokenizer : ModelTokenizer
{
    private const int FairseqOffset = 1;
    private readonly SentencePieceTokenizer _tokenizer;
    private readonly bool _fairseq;
    private readonly int[] _start;
    private readonly int[] _end;

    private SentencePieceModelTokenizer(SentencePieceTokenizer tokenizer, bool fairseq)
    {
        _tokenizer = tokenizer;
        _fairseq = fairseq;
        _start = [fairseq ? 0 : tokenizer.BeginningOfSentenceId];
        _end = [fairseq ? 2 : tokenizer.EndOfSentenceId];
        PadId = fairseq ? 1 : Math.Max(0, tokenizer.UnknownId);
    }

    public override IReadOnlyList<int> WindowStart => _start;

    public override IReadOnlyList<int> WindowEnd => _end;

    public override int PadId { get; }

    public static SentencePieceModelTokenizer FromModel(Stream model, bool fairseq, string file)
    {
        try
        {
            return new SentencePieceModelTokenizer(SentencePieceTokenizer.Create(model, false, false), fairseq);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or NotSupportedException
            or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new InvalidDataException($"{file}: not a usable SentencePiece model ({e.Message})", e);
        }
    }

    public override void Encode(string text, List<int> ids)
    {
        var encoded = _tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        if (!_fairseq)
        {
            ids.AddRange(encoded);
            return;
        }
        int unknown = _tokenizer.UnknownId;
        foreach (int id in encoded)
            ids.Add(id == unknown ? 3 : id + FairseqOffset);
    }
}
