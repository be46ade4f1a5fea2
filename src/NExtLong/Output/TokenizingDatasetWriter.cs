using System.Buffers;
using System.Runtime.InteropServices;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

namespace NExtLong.Output;

/// <summary>
/// Feeds synthesized documents to the tokenized formats: each document is encoded once with the target
/// tokenizer, framed by the <see cref="SpecialTokenPolicy"/>, and written as one sequence holding one document
/// span (NExtLong's interleaved meta-chunks and negatives must attend to each other, so no boundary inside).
/// </summary>
public sealed class TokenizingDatasetWriter : IDatasetWriter
{
    private readonly TargetTokenizer _tokenizer;
    private readonly SpecialTokenPolicy _specials;
    private readonly IReadOnlyList<ITokenSequenceWriter> _sinks;
    private int[] _ids = ArrayPool<int>.Shared.Rent(1 << 16);

    public TokenizingDatasetWriter(TargetTokenizer tokenizer, SpecialTokenPolicy specials, IReadOnlyList<ITokenSequenceWriter> sinks)
    {
        _tokenizer = tokenizer;
        _specials = specials;
        _sinks = sinks;
    }

    public void Write(string id, SynthesizedDocument document)
    {
        IReadOnlyList<int> text = _tokenizer.EncodeToIds(document.Text);
        if (text.Count != document.TokenCount)
            throw new InvalidDataException($"document {id}: {_tokenizer.Name} encodes its text to {text.Count} tokens, the synthesizer counted {document.TokenCount}");
        int length = _specials.SequenceLength(text.Count);
        if (_ids.Length < length)
        {
            ArrayPool<int>.Shared.Return(_ids);
            _ids = ArrayPool<int>.Shared.Rent(length);
        }
        ReadOnlySpan<int> textIds = text switch
        {
            List<int> list => CollectionsMarshal.AsSpan(list),
            int[] array => array,
            _ => [.. text],
        };
        _specials.Frame(textIds, _ids);
        ReadOnlySpan<TokenRange> whole = [new TokenRange(0, length)];
        foreach (var sink in _sinks)
            sink.Write(_ids.AsSpan(0, length), whole, document.MetaDocumentSource);
    }

    public WriterCheckpoint Checkpoint() => WriterCheckpoints.Combine(_sinks.Select(s => s.Checkpoint()));

    public IReadOnlyList<string> Complete() => [.. _sinks.SelectMany(s => s.Complete())];

    public void Dispose()
    {
        foreach (var sink in _sinks) sink.Dispose();
        if (_ids.Length > 0)
        {
            ArrayPool<int>.Shared.Return(_ids);
            _ids = [];
        }
    }
}
