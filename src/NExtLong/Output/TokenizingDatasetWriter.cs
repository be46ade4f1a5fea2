using System.Buffers;
using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Feeds synthesized documents to the tokenized formats: each document's token ids (collected by the exact cut,
/// <see cref="SynthesizedDocument.TokenIds"/>: the text is never encoded again here), framed by the
/// <see cref="SpecialTokenPolicy"/>, are written as one sequence holding one document span (NExtLong's interleaved
/// meta-chunks and negatives must attend to each other, so no boundary inside).
/// </summary>
internal sealed class TokenizingDatasetWriter : IDatasetWriter, IExpectsDocuments
{
    private readonly SpecialTokenPolicy _specials;
    private readonly IReadOnlyList<ITokenSequenceWriter> _sinks;
    private int[] _ids = ArrayPool<int>.Shared.Rent(1 << 16);

    public TokenizingDatasetWriter(SpecialTokenPolicy specials, IReadOnlyList<ITokenSequenceWriter> sinks)
    {
        _specials = specials;
        _sinks = sinks;
    }

    public void Write(string id, SynthesizedDocument document)
    {
        int[] text = document.TokenIds
                     ?? throw new ArgumentException($"document {id} carries no token ids; the tokenized formats write the ids its exact cut collected", nameof(document));
        if (text.Length != document.TokenCount)
            throw new InvalidDataException($"document {id}: carries {text.Length} token ids, the synthesizer counted {document.TokenCount}");
        int length = _specials.SequenceLength(text.Length);
        if (_ids.Length < length)
        {
            ArrayPool<int>.Shared.Return(_ids);
            _ids = ArrayPool<int>.Shared.Rent(length);
        }
        _specials.Frame(text, _ids);
        ReadOnlySpan<TokenRange> whole = [new TokenRange(0, length)];
        foreach (var sink in _sinks)
            sink.Write(_ids.AsSpan(0, length), whole, document.MetaDocumentSource);
    }

    /// <summary>One sequence per document: the sinks get the forecast as it is.</summary>
    public void Expect(int documents)
    {
        foreach (var sink in _sinks) sink.Expect(documents);
    }

    /// <summary>
    /// Every sink's checkpoint, side by side: each ends its files and waits for its disk (an MDS shard's last write and
    /// fsync, the Megatron .bin's fsync), and one after another those waits added up at the end of every run.
    /// </summary>
    public WriterCheckpoint Checkpoint()
    {
        if (_sinks.Count <= 1) return WriterCheckpoints.Combine(_sinks.Select(s => s.Checkpoint()));
        var others = _sinks.Skip(1).Select(sink => Task.Run(sink.Checkpoint)).ToArray();
        WriterCheckpoint first;
        try
        {
            first = _sinks[0].Checkpoint();
        }
        finally
        {
            // No sink is left writing after this returns, even when one failed; their own failures are thrown below.
            try { Task.WaitAll(others); }
            catch (AggregateException) { }
        }
        return WriterCheckpoints.Combine([first, .. others.Select(t => t.GetAwaiter().GetResult())]);
    }

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
