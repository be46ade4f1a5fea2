using System.Text.Json;
using NExtLong.Chunking;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>
/// An edited copy of a meta-document (re-spaced, a few words changed, a boilerplate line added) under another id is
/// the most similar text in the corpus, yet no negative: the text-level guard must replace it, keeping k.
/// </summary>
public class FalseNegativeGuardTests
{
    private static string EditedCopy(string text)
    {
        var paragraphs = text.Split('\n');
        for (int p = 0; p < paragraphs.Length; p++)
        {
            var words = paragraphs[p].Split(' ');
            for (int w = 7; w < words.Length; w += 23) words[w] = "edited";
            paragraphs[p] = string.Join("  ", words);
        }
        return "Copyright notice: republished with permission.\n" + string.Join("\n", paragraphs);
    }

    private static (string Dir, string Corpus, string MetaId, string MetaText) PlantedCorpus(RetrieverKind retriever = RetrieverKind.Dense)
    {
        string dir = TempDir.Create();
        var docs = SampleCorpus.Documents.Take(200).ToList();
        int meta = docs.FindIndex(d => d.Length > 6000);
        var lines = docs.Select((t, i) => JsonSerializer.Serialize(new { id = $"doc-{i}", text = t })).ToList();
        lines.Add(JsonSerializer.Serialize(new { id = "planted-copy", text = EditedCopy(docs[meta]) }));
        string corpus = Path.Combine(dir, "corpus.jsonl");
        File.WriteAllLines(corpus, lines);
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = Path.Combine(dir, "index"), Retriever = retriever, Execution = new() { Threads = 2 } });
        return (dir, corpus, $"doc-{meta}", docs[meta]);
    }

    [Fact]
    public void The_guard_replaces_a_planted_near_copy_and_keeps_k()
    {
        var (dir, _, metaId, metaText) = PlantedCorpus();
        using var index = ChunkIndex.Open(Path.Combine(dir, "index"));
        using var embedder = EmbedderFactory.Create(index.Manifest.Embedder);
        var chunker = new ParagraphChunker(index.Manifest.ChunkChars, Enum.Parse<ChunkingMode>(index.Manifest.ChunkingMode));
        string text = chunker.Prepare(metaText);
        var chunks = chunker.Chunk(text).Where(c => !c.Of(text).IsWhiteSpace()).ToList();
        Assert.True(chunks.Count >= 3);
        var vectors = new float[chunks.Count * embedder.Dimension];
        embedder.Embed(chunks.Select(c => c.Of(text).ToString()).ToList(), vectors);
        var own = index.FindDocuments(metaId).Select(index.Document).Select(d => (d.FirstChunk, d.FirstChunk + (long)d.ChunkCount)).ToList();
        Assert.True(index.TryFindDocument("planted-copy", out int copy));
        bool FromCopy(MinedNegative n) => index.Chunk(n.ChunkId).Document == copy;
        const int k = 8;
        var miner = new NegativeMiner(index, ChunkRetrievers.Open(index, RetrieverKind.Dense), 0.999f);
        string[] texts = [.. chunks.Select(c => c.Of(text).ToString())];

        var unguarded = new List<List<MinedNegative>>();
        var vectorOnly = miner.Mine(texts, vectors, k, own, unguarded);
        Assert.Equal(0, vectorOnly.ShingleContainment + vectorOnly.ShingleJaccard);
        int copies = unguarded.Sum(l => l.Count(FromCopy));
        Assert.True(copies >= chunks.Count / 2, $"without the guard the edited copy should be mined (got {copies} of its chunks as negatives)");

        var guard = new FalseNegativeGuard(index, new SynthesisOptions().FalseNegativeThreshold, text, chunks);
        var guarded = new List<List<MinedNegative>>();
        var skipped = miner.Mine(texts, vectors, k, own, guarded, guard: guard);
        Assert.All(guarded, l => Assert.Equal(k, l.Count));
        Assert.DoesNotContain(guarded.SelectMany(l => l), FromCopy);
        Assert.True(skipped.ShingleJaccard + skipped.ShingleContainment >= copies, $"skipped {skipped}");
        // The first meta-chunk's negatives the guard passes stay, in order: the copy's chunks (and any natural
        // near-copy in the sample) were replaced by the next candidates. (Later meta-chunks may differ more: no
        // negative is used twice, and the first one now claimed other chunks.)
        var kept = unguarded[0].Where(n => guard.Check(n.ChunkId, 0) == FalseNegativeReason.None).ToList();
        Assert.True(kept.Count < k);
        Assert.Equal(kept, guarded[0].Take(kept.Count));
    }

    // Every retriever: for bm25 the copy is the lexically closest text, and no cosine check stands before the guard.
    [Theory]
    [InlineData(RetrieverKind.Dense)]
    [InlineData(RetrieverKind.Bm25)]
    [InlineData(RetrieverKind.Hybrid)]
    public void Synthesis_never_uses_the_copy_and_counts_what_it_skipped(RetrieverKind retriever)
    {
        var (dir, corpus, metaId, _) = PlantedCorpus(retriever);
        // The meta-documents: the original and its copy, each the other's near-copy in the index.
        string metas = Path.Combine(dir, "metas.jsonl");
        File.WriteAllLines(metas, File.ReadLines(corpus).Where(l => l.Contains($"\"id\":\"{metaId}\"") || l.Contains("\"id\":\"planted-copy\"")));
        var outcome = SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = Path.Combine(dir, "index"),
            Corpus = new() { Inputs = [metas] },
            OutDir = Path.Combine(dir, "out"),
            Synthesis = new SynthesisOptions { TargetTokens = 8192, NumSamples = 2 },
            Execution = new() { Threads = 2 },
        });
        Assert.Contains($"\"retriever\": \"{retriever.Name()}\"", File.ReadAllText(Path.Combine(dir, "out", "config.json")));
        var docs = DatasetReader.ReadDocuments(Path.Combine(dir, "out"));
        var fromMeta = docs.Where(d => d.GetProperty("meta_document").GetProperty("id").GetString() is var id && (id == metaId || id == "planted-copy")).ToList();
        Assert.Equal(2, fromMeta.Count);
        foreach (var doc in fromMeta)
        {
            string other = doc.GetProperty("meta_document").GetProperty("id").GetString() == metaId ? "planted-copy" : metaId;
            Assert.DoesNotContain(doc.GetProperty("spans").EnumerateArray(), s => s.GetProperty("role").GetString() == "negative" && s.GetProperty("document").GetString() == other);
            var perDoc = doc.GetProperty("false_negatives_skipped");
            Assert.True(perDoc.GetProperty("shingle_containment").GetInt32() + perDoc.GetProperty("shingle_jaccard").GetInt32() > 0);
        }
        var stats = outcome.Stats!;
        Assert.Equal(docs.Sum(d => d.GetProperty("false_negatives_skipped").GetProperty("shingle_jaccard").GetInt32()), stats.FalseNegativesSkipped["shingle_jaccard"]);
        Assert.True(stats.FalseNegativesSkipped["shingle_jaccard"] + stats.FalseNegativesSkipped["shingle_containment"] > 0);
    }
}
