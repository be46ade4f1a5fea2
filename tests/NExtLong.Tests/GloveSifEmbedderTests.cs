using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using NExtLong.Embedding;

namespace NExtLong.Tests;

public class GloveSifEmbedderTests
{
    private const string DatabaseA =
        "The database stores customer records in tables. Each query uses an index on the primary key, and "
        + "transactions keep the data consistent when several clients update rows at the same time. The server "
        + "writes a log so it can recover after a crash.";

    private const string DatabaseB =
        "To speed up slow SQL queries, add an index to the column you filter on and check the query plan. "
        + "Relational databases such as PostgreSQL and MySQL lock rows during a transaction and replicate "
        + "the data to a standby server for backup.";

    private const string Whales =
        "Humpback whales migrate thousands of miles across the ocean each year. They feed on krill and small "
        + "fish in cold waters, and the males sing long songs during the breeding season near tropical islands.";

    private static readonly GloveSifEmbedder Embedder = GloveSifEmbedder.Shared;

    private static float[] Embed(params string[] texts)
    {
        var vectors = new float[texts.Length * Embedder.Dimension];
        Embedder.Embed(texts, vectors);
        return vectors;
    }

    private static float Cosine(string a, string b)
    {
        var v = Embed(a, b);
        return TensorPrimitives.Dot(v.AsSpan(0, 100), v.AsSpan(100, 100));
    }

    private static byte[] EmbeddedAssetBytes()
    {
        using var stream = typeof(GloveAsset).Assembly.GetManifestResourceStream(GloveAsset.ResourceName)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void Describes_itself_as_glove_with_100_dimensions()
    {
        Assert.Equal("glove", Embedder.Spec);
        Assert.Equal(100, Embedder.Dimension);
    }

    [Theory]
    [InlineData("cat")]
    [InlineData("The quick brown fox jumps over the lazy dog.")]
    [InlineData(DatabaseA)]
    [InlineData("unknownzzzqqq words mixed with known ones like river and mountain")]
    public void Vectors_are_unit_norm(string text)
        => Assert.Equal(1f, TensorPrimitives.Norm(Embed(text)), 1e-5f);

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ... !!! --- 42")]
    [InlineData("zzqxjv qqqxxzz blorptastic")]
    public void Text_without_known_words_gives_a_zero_vector(string text)
        => Assert.All(Embed(text), x => Assert.Equal(0f, x));

    [Fact]
    public void Same_text_gives_bit_identical_vectors()
    {
        var first = Embed(DatabaseA, Whales);
        var second = Embed(DatabaseA, Whales);
        Assert.True(MemoryMarshal.AsBytes(first.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(second.AsSpan())));
    }

    [Fact]
    public void Concurrent_batches_match_one_at_a_time()
    {
        string[] sentences = [DatabaseA, DatabaseB, Whales, "Kings and queens ruled the land.", "I can't say it's over."];
        var texts = Enumerable.Range(0, 64)
            .Select(i => string.Join(' ', Enumerable.Range(0, 1 + i % 7).Select(j => sentences[(i + j) % sentences.Length])))
            .ToArray();

        var expected = new float[texts.Length * 100];
        for (int i = 0; i < texts.Length; i++)
            Embedder.Embed([texts[i]], expected.AsSpan(i * 100, 100));

        var results = new float[8][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            var batch = new float[texts.Length * 100];
            Embedder.Embed(texts, batch);
            results[t] = batch;
        });

        foreach (var result in results)
            Assert.True(MemoryMarshal.AsBytes(result.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(expected.AsSpan())));
    }

    [Fact]
    public void Related_words_are_closer_than_unrelated_ones()
    {
        Assert.True(Cosine("cat", "dog") > Cosine("cat", "economy") + 0.4f);
        Assert.True(Cosine("king", "queen") > Cosine("king", "carpet") + 0.3f);
    }

    [Fact]
    public void Database_chunks_are_closer_to_each_other_than_to_whales()
    {
        float databases = Cosine(DatabaseA, DatabaseB);
        Assert.True(databases > Cosine(DatabaseA, Whales) + 0.1f);
        Assert.True(databases > Cosine(DatabaseB, Whales) + 0.1f);
    }

    [Theory]
    [InlineData("DATABASE Database", "database")]
    [InlineData("don't", "do")]
    [InlineData("can’t", "ca")]
    [InlineData("it's they're we'll", "it they we")]
    [InlineData("self-driving", "self driving")]
    public void Tokenizes_like_the_documented_rules(string text, string equivalent)
        => Assert.Equal(Embed(equivalent), Embed(text));

    [Fact]
    public void Rejects_a_destination_that_is_too_small()
        => Assert.Throws<ArgumentException>(() => Embedder.Embed(["a", "b"], new float[199]));

    [Fact]
    public void Loads_an_intact_copy_of_the_asset()
    {
        var asset = GloveAsset.Load(new MemoryStream(EmbeddedAssetBytes()));
        Assert.Equal(100_000, asset.WordCount);
        Assert.Equal(100, asset.Dimension);
        Assert.True(asset.TryGetIndex("the", out int the));
        Assert.Equal(0, the);
    }

    [Fact]
    public void Rejects_a_corrupted_asset()
    {
        var bytes = EmbeddedAssetBytes();
        bytes[bytes.Length / 2] ^= 0x01;
        var error = Assert.Throws<InvalidDataException>(() => GloveAsset.Load(new MemoryStream(bytes)));
        Assert.Contains("corrupted", error.Message);
    }

    [Fact]
    public void Rejects_a_file_that_is_not_an_asset()
    {
        var error = Assert.Throws<InvalidDataException>(() => GloveAsset.Load(new MemoryStream(new byte[64])));
        Assert.Contains("NLGLOVE1", error.Message);
    }

    [Theory]
    [InlineData("glove")]
    [InlineData("glove-sif")]
    [InlineData(" GloVe ")]
    public void Factory_creates_the_glove_embedder(string spec)
    {
        var embedder = EmbedderFactory.Create(spec);
        Assert.IsType<GloveSifEmbedder>(embedder);
        Assert.Equal("glove", embedder.Spec);
    }

    [Theory]
    [InlineData("")]
    [InlineData("word2vec")]
    [InlineData("glove,dim=50")]
    public void Factory_rejects_unknown_specs_and_lists_the_known_ones(string spec)
    {
        var error = Assert.Throws<ArgumentException>(() => EmbedderFactory.Create(spec));
        Assert.Contains("glove", error.Message);
    }
}
