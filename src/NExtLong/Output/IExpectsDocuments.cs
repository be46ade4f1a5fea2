namespace NExtLong.Output;

/// <summary>
/// A writer that can prepare for the documents to come: the synthesis loop says how many it will write before the
/// next checkpoint or the end when they are all of one source, and a format whose files depend on that count (an MDS
/// shard's head) can then write them as they come. A forecast only: a writer's files are the same without it.
/// </summary>
internal interface IExpectsDocuments
{
    /// <summary>Exactly <paramref name="documents"/> documents, all of one source, come before the next checkpoint or the end.</summary>
    void Expect(int documents);
}
