using System.Text;
using System.Text.Json;
using NExtLong.Retrieval;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

public class HostileCorpusTests
{
    [Fact]
    public void Duplicate_ids_are_counted_and_no_copy_becomes_a_negative_of_another()
    {
        string dir = TempDir.Create();
        string corpus = Path.Combine(dir, "dup.jsonl");
        var lines = new List<string>();
        string repeated = string.Join("\n", Enumerable.Range(0, 40).Select(i => $"Paragraph {i} about whales, ships, harpoons and the open sea, told once more."));
        // The same document three times under one id, among other documents.
        for (int i = 0; i < 3; i++) lines.Add(JsonSerializer.Serialize(new { id = "same", text = repeated }));
        foreach (var text in SampleCorpus.Documents.Take(60)) lines.Add(JsonSerializer.Serialize(new { id = $"doc-{lines.Count}", text }));
        File.WriteAllLines(corpus, lines);
        string index = Path.Combine(dir, "index");
        var built = IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [corpus] }, OutDir = index });
        Assert.Equal(2, built.DuplicateIds);
        using (var opened = ChunkIndex.Open(index))
        {
            Assert.Equal(2, opened.Manifest.DuplicateIds);
            Assert.Equal([0, 1, 2], opened.FindDocuments("same"));
        }

        var outcome = SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = index,
            Corpus = new() { Inputs = [corpus] },
            OutDir = Path.Combine(dir, "out"),
            // Keep near-duplicate skipping out of it: only the id rule may keep the copies away.
            Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 63, NearDuplicateThreshold = 1.5f },
        });
        var docs = DatasetReader.ReadDocuments(Path.Combine(dir, "out"));
        var fromSame = docs.Where(d => d.GetProperty("meta_document").GetProperty("id").GetString() == "same").ToList();
        Assert.NotEmpty(fromSame);
        foreach (var doc in fromSame)
            Assert.DoesNotContain(doc.GetProperty("spans").EnumerateArray(), s => s.GetProperty("role").GetString() == "negative" && s.GetProperty("document").GetString() == "same");
    }

    [Fact]
    public void A_50_mb_single_line_document_is_chunked_within_s()
    {
        string dir = TempDir.Create();
        string corpus = Path.Combine(dir, "huge.jsonl");
        var sentence = "The whale surfaced beside the ship, and the crew watched in silence. ";
        var text = new StringBuilder(50_000_100);
        while (text.Length < 50_000_000) text.Append(sentence);
        using (var w = new StreamWriter(corpus))
        {
            w.Write("{\"id\":\"huge\",\"text\":\"");
            w.Write(text);
            w.WriteLine("\"}");
            w.WriteLine(JsonSerializer.Serialize(new { id = "small", text = "A small document." }));
        }
        string index = Path.Combine(dir, "index");
        var built = IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [corpus] }, OutDir = index });
        Assert.Equal(2, built.Documents);
        using var opened = ChunkIndex.Open(index);
        var huge = opened.Document(0);
        Assert.InRange(huge.ChunkCount, 50_000_000 / 2048, 50_000_000 / 1500);
        for (long c = 0; c < huge.ChunkCount; c += 997)
            Assert.InRange(opened.Chunk(c).CharLength, 1, 2048);
    }
}
