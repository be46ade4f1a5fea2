using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Writes synthesized documents in one output format. Documents arrive in their final order; nothing the writer
/// leaves behind may look complete until <see cref="Complete"/> returns (temporary names, then rename).
/// Disposing without completing abandons the unfinished files.
/// </summary>
public interface IDatasetWriter : IDisposable
{
    /// <summary>Appends one document as the dataset's next sample.</summary>
    /// <param name="id">The sample's id in the dataset, e.g. "nextlong-00000042" (the count of documents written before it).</param>
    /// <param name="document">The synthesized long document, with its token ids when a tokenized format is written.</param>
    void Write(string id, SynthesizedDocument document);

    /// <summary>
    /// Makes everything written so far durable in complete files and returns them with the state from which a
    /// new writer continues the same dataset after a crash (see the writer's resume constructor). Called at points
    /// that do not depend on interruptions, so a resumed dataset is byte-identical to an uninterrupted one.
    /// </summary>
    WriterCheckpoint Checkpoint();

    /// <summary>Closes every open file and returns the names (relative to the dataset folder) of the files written.</summary>
    IReadOnlyList<string> Complete();
}
