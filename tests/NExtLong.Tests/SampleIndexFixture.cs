using NExtLong.Retrieval;
using NExtLong.Pipeline;

namespace NExtLong.Tests;

/// <summary>One index of the bundled sample corpus, built once for the tests that synthesize from it.</summary>
public sealed class SampleIndexFixture : IDisposable
{
    public SampleIndexFixture()
    {
        Root = TempDir.Create();
        IndexDir = Path.Combine(Root, "index");
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SamplePath] }, OutDir = IndexDir });
    }

    public static string SamplePath => Path.Combine(SampleCorpus.Root, "samples", "sample-docs.jsonl.gz");

    public string Root { get; }

    public string IndexDir { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
