using Microsoft.ML.Tokenizers;

namespace NExtLong.Embedding.Onnx;

/// <summary>WordPiece tokenizer of the BERT family (MiniLM, bge, e5, gte): [CLS] window [SEP].</summary>
internal sealed class BertModelTokenizer : ModelTokenizer
{
    private readonly BertTokenizer _tokenizer;
    private readonly int[] _start;
    private readonly int[] _end;

    private BertModelTokenizer(BertTokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        _start = [tokenizer.ClassificationTokenId];
        _end = [tokenizer.SeparatorTokenId];
    }

    public override IReadOnlyList<int> WindowStart => _start;

    public override IReadOnlyList<int> WindowEnd => _end;

    public override int PadId => _tokenizer.PaddingTokenId;

    /// <summary>Loads a vocab.txt (one token a line, line number = id).</summary>
    public static BertModelTokenizer FromVocabulary(Stream vocabulary, bool lowercase, string file)
    {
        try
        {
            return new BertModelTokenizer(BertTokenizer.Create(vocabulary, new BertOptions
            {
                LowerCaseBeforeTokenization = lowercase,
                RemoveNonSpacingMarks = lowercase,
            }));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{file}: not a usable WordPiece vocabulary ({e.Message})", e);
        }
    }

    public override void Encode(string text, List<int> ids)
        => ids.AddRange(_tokenizer.EncodeToIds(text, addSpecialTokens: false));
}
