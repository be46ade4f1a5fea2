using NExtLong.Retrieval;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Pipeline;

namespace NExtLong.Tests;

public class EmbeddingCacheTests
{
    /// <summary>Counts the texts it is asked to embed; vector i of a text is its length + i.</summary>
    private sealed class CountingEmbedder : IEmbedder
    {
        public int Embedded;

        public string Spec => "counting";

        public int Dimension => 3;

        public void Embed(IReadOnlyList<string> texts, Span<float> destination)
        {
            Interlocked.Add(ref Embedded, texts.Count);
            for (int t = 0; t < texts.Count; t++)
                for (int i = 0; i < 3; i++)
                    destination[t * 3 + i] = texts[t].Length + i;
        }

        public void Dispose()
        {
        }
    }

    private static readonly UInt128 Model = 42;

    private static float[] Embed(IEmbedder embedder, params string[] texts)
    {
        var vectors = new float[texts.Length * embedder.Dimension];
        embedder.Embed(texts, vectors);
        return vectors;
    }

    [Fact]
    public void Embeds_each_distinct_text_once_across_calls_and_runs()
    {
        string dir = TempDir.Create();
        var inner = new CountingEmbedder();
        using (var cached = new CachedEmbedder(inner, new EmbeddingCache(dir, Model, 3)))
        {
            Assert.Equal([1, 2, 3, 2, 3, 4, 1, 2, 3], Embed(cached, "a", "bb", "a"));
            Assert.Equal(2, inner.Embedded);
            Assert.Equal([2, 3, 4, 3, 4, 5], Embed(cached, "bb", "ccc"));
            Assert.Equal(3, inner.Embedded);
            Assert.Equal((2L, 3L), (cached.Hits, cached.Misses));
        }
        Assert.Single(Directory.GetFiles(Path.Combine(dir, Model.ToString("x32")), "*.seg"));

        var again = new CountingEmbedder();
        using (var cached = new CachedEmbedder(again, new EmbeddingCache(dir, Model, 3)))
        {
            Assert.Equal([3, 4, 5, 1, 2, 3], Embed(cached, "ccc", "a"));
            Assert.Equal(0, again.Embedded);
        }
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_segment_cut_short_by_a_crash_keeps_its_complete_records()
    {
        string dir = TempDir.Create();
        using (var cache = new EmbeddingCache(dir, Model, 3))
            cache.Add([1, 2, 3], [1, 1, 1, 2, 2, 2, 3, 3, 3]);
        string segment = Directory.GetFiles(Path.Combine(dir, Model.ToString("x32")), "*.seg").Single();
        string crashed = Path.ChangeExtension(segment, ".open");
        File.Move(segment, crashed);
        using (var file = new FileStream(crashed, FileMode.Open))
            file.SetLength(file.Length - 5);

        using var reopened = new EmbeddingCache(dir, Model, 3);
        Assert.Equal(2, reopened.Count);
        var vector = new float[3];
        Assert.True(reopened.TryGet(2, vector));
        Assert.Equal([2, 2, 2], vector);
        Assert.False(reopened.TryGet(3, vector));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_garbled_record_is_left_out()
    {
        string dir = TempDir.Create();
        using (var cache = new EmbeddingCache(dir, Model, 3))
            cache.Add([1, 2], [1, 1, 1, 2, 2, 2]);
        string segment = Directory.GetFiles(Path.Combine(dir, Model.ToString("x32")), "*.seg").Single();
        var bytes = File.ReadAllBytes(segment);
        bytes[64 + 20] ^= 0x40;
        File.WriteAllBytes(segment, bytes);
        using var reopened = new EmbeddingCache(dir, Model, 3);
        Assert.False(reopened.TryGet(1, new float[3]));
        Assert.True(reopened.TryGet(2, new float[3]));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_segment_of_another_dimension_is_an_error_naming_it()
    {
        string dir = TempDir.Create();
        using (var cache = new EmbeddingCache(dir, Model, 3))
            cache.Add([1], [1, 1, 1]);
        string segment = Directory.GetFiles(Path.Combine(dir, Model.ToString("x32")), "*.seg").Single();
        var error = Assert.Throws<InvalidDataException>(() => new EmbeddingCache(dir, Model, 4));
        Assert.Contains(segment, error.Message);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Concurrent_callers_share_the_cache()
    {
        string dir = TempDir.Create();
        var inner = new CountingEmbedder();
        using (var cached = new CachedEmbedder(inner, new EmbeddingCache(dir, Model, 3)))
        {
            var texts = Enumerable.Range(0, 200).Select(i => new string('x', i % 50 + 1)).ToArray();
            Parallel.For(0, 8, _ => Assert.Equal(texts.SelectMany(t => new float[] { t.Length, t.Length + 1, t.Length + 2 }), Embed(cached, texts)));
            Assert.InRange(inner.Embedded, 50, 8 * 50);
            Assert.Equal(50, cached.Cache.Count);
        }
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Embed_stage_writes_the_index_vectors_and_resumes_from_its_cache()
    {
        string dir = TempDir.Create();
        string corpus = Path.Combine(dir, "docs.jsonl");
        File.WriteAllLines(corpus, SampleCorpus.Documents.Take(30).Select((text, i) => System.Text.Json.JsonSerializer.Serialize(new { id = $"d{i}", text })));
        var options = new EmbedStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = Path.Combine(dir, "embed"), Embedder = "glove", Execution = new() { Threads = 2 } };

        var first = EmbedStage.Run(options, ct: TestContext.Current.CancellationToken);
        Assert.Equal((first.Chunks, 0L), (first.Embedded, first.CacheHits));
        var second = EmbedStage.Run(options, ct: TestContext.Current.CancellationToken);
        Assert.Equal((second.Chunks, 0L), (second.CacheHits, second.Embedded));

        var index = IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [corpus] }, OutDir = Path.Combine(dir, "index"), Embedder = "glove" }, ct: TestContext.Current.CancellationToken);
        Assert.Equal(index.Chunks, first.Chunks);
        var embedded = File.ReadAllBytes(Path.Combine(options.OutDir, EmbedStage.VectorsFile));
        var indexed = File.ReadAllBytes(Path.Combine(dir, "index", "vectors.flat"));
        Assert.Equal(indexed.AsSpan(64).ToArray(), embedded.AsSpan(64).ToArray());
        Assert.True(File.Exists(Path.Combine(options.OutDir, EmbedStage.ManifestFile)));
        Directory.Delete(dir, recursive: true);
    }
}
