namespace NExtLong.Output;

/// <summary>
/// Writes training sequences of token ids (the tokenized formats). Like <see cref="IDatasetWriter"/>, nothing
/// may look complete before <see cref="Complete"/> returns, and disposing without completing abandons the files.
/// </summary>
internal interface ITokenSequenceWriter : IDisposable
{
    /// <summary>One sequence: its ids, the documents it holds (spans tiling it), and the domain it belongs to.</summary>
    void Write(ReadOnlySpan<int> inputIds, ReadOnlySpan<TokenRange> documents, string domain);

    /// <summary>
    /// Exactly <paramref name="sequences"/> sequences, all of one domain, come before the next checkpoint or the end
    /// (<see cref="IExpectsDocuments"/>); a forecast that a writer may use or ignore.
    /// </summary>
    void Expect(int sequences);

    /// <summary>As <see cref="IDatasetWriter.Checkpoint"/>: everything so far durable, and the state to continue from.</summary>
    WriterCheckpoint Checkpoint();

    /// <summary>Closes every file and returns the names written, relative to the dataset folder.</summary>
    IReadOnlyList<string> Complete();
}
