using NExtLong.Pipeline;
using NExtLong.Synthesis;

namespace NExtLong.Tests.External;

/// <summary>Synthesis from an index of vectors computed elsewhere needs no embedder: meta-documents reuse their own chunks' stored vectors.</summary>
public class VectorSynthesisTests(ImportFixture f) : IClassFixture<ImportFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private SynthesisStage.Options Synthesis(string index, string corpus, string outDir, string? embedder = null) => new()
    {
        IndexDir = index,
        Corpus = new() { Inputs = [corpus] },
        OutDir = outDir,
        Embedder = embedder,
        Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 4 },
        Execution = new() { Threads = 2 },
    };

    [Fact]
    public void A_vectors_index_synthesizes_without_an_embedder_like_the_in_process_index()
    {
        var import = f.Import(f.WriteAll((i, path) => VectorFiles.WriteNpy(path + ".npy", f.ShardVectors(i), f.Dimension)), model: "unknown-gpu-model");
        IndexStage.Run(import, ct: Ct);

        string fromImported = Path.Combine(f.Root, "synth-imported-" + Guid.NewGuid().ToString("N")[..6]);
        var done = SynthesisStage.Run(Synthesis(import.OutDir, f.Corpus, fromImported), ct: Ct);
        Assert.Equal(4, done.Stats!.DocumentsWritten);

        // The stored vectors are the glove vectors, so the documents are those of the in-process index.
        string fromReference = Path.Combine(f.Root, "synth-reference-" + Guid.NewGuid().ToString("N")[..6]);
        SynthesisStage.Run(Synthesis(f.Reference, f.Corpus, fromReference), ct: Ct);
        Assert.Equal(File.ReadAllBytes(Path.Combine(fromReference, "part-00000.jsonl.zst")), File.ReadAllBytes(Path.Combine(fromImported, "part-00000.jsonl.zst")));
    }

    [Fact]
    public void Meta_documents_outside_a_vectors_index_are_refused_unless_an_embedder_is_given()
    {
        var import = f.Import(f.WriteAll((i, path) => VectorFiles.WriteNpy(path + ".npy", f.ShardVectors(i), f.Dimension)));
        IndexStage.Run(import, ct: Ct);
        // Sample documents under ids the index does not hold.
        string renamed = Path.Combine(f.Root, "renamed-" + Guid.NewGuid().ToString("N")[..6] + ".jsonl");
        File.WriteAllLines(renamed, SampleCorpus.Documents.Take(40).Select((d, i) => System.Text.Json.JsonSerializer.Serialize(new { id = $"new-{i}", text = d })));

        var error = Assert.Throws<InvalidOperationException>(() => SynthesisStage.Run(Synthesis(import.OutDir, renamed, Path.Combine(f.Root, "refused-" + Guid.NewGuid().ToString("N")[..6])), ct: Ct));
        Assert.Contains("is not in the index as it is now", error.Message);
        Assert.Contains("pass --embedder", error.Message);

        var embedded = SynthesisStage.Run(Synthesis(import.OutDir, renamed, Path.Combine(f.Root, "embedded-" + Guid.NewGuid().ToString("N")[..6]), embedder: "glove"), ct: Ct);
        Assert.Equal(4, embedded.Stats!.DocumentsWritten);
    }
}
