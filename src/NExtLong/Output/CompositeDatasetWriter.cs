using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>Writes every document to several writers, so one synthesis run produces several formats.</summary>
internal sealed class CompositeDatasetWriter(IReadOnlyList<IDatasetWriter> writers) : IDatasetWriter, IExpectsDocuments
{
    /// <summary>The formats' writers, in the order documents reach them.</summary>
    public IReadOnlyList<IDatasetWriter> Writers => writers;

    public void Write(string id, SynthesizedDocument document)
    {
        foreach (var writer in writers)
            writer.Write(id, document);
    }

    /// <summary>Tells the writers that prepare for what comes.</summary>
    public void Expect(int documents)
    {
        foreach (var writer in writers)
            (writer as IExpectsDocuments)?.Expect(documents);
    }

    /// <summary>Every writer's checkpoint, combined (<see cref="WriterCheckpoints"/>); the factory splits it again on resume.</summary>
    public WriterCheckpoint Checkpoint() => WriterCheckpoints.Combine(writers.Select(w => w.Checkpoint()));

    /// <summary>Completes the writers in order; returns all their files.</summary>
    public IReadOnlyList<string> Complete() => [.. writers.SelectMany(w => w.Complete())];

    public void Dispose()
    {
        foreach (var writer in writers)
            writer.Dispose();
    }
}
