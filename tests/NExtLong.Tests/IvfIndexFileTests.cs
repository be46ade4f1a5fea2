using NExtLong.Index;

namespace NExtLong.Tests;

public class IvfIndexFileTests
{
    private const int D = 20;

    private static (float[] Data, float[] Queries) Vectors()
        => (IvfIndexTests.ClusteredUnitVectors(3000, D, 25, 71), FlatIndexTests.RandomUnitVectors(50, D, 72));

    private static (long[], float[]) Search(IVectorIndex index, float[] queries, int k = 15)
    {
        var result = (new long[50 * k], new float[50 * k]);
        index.Search(queries, k, result.Item1, result.Item2, new SearchParameters { NProbe = 4 });
        return result;
    }

    [Theory]
    [InlineData("IVF20,Flat")]
    [InlineData("IVF20,FP16")]
    [InlineData("IVF20,SQ8")]
    [InlineData("IVF20,SQ8,RFlat,kfactor=3")]
    [InlineData("IVF20,PQ5")]
    [InlineData("IVF20,PQ10,RFlat")]
    [InlineData("IVF20,PQ10x4fs")]
    [InlineData("IVF20,PQ5x4fsr,RFlat")] // odd m: the last code byte's high nibble is padding
    public void Saved_index_reopens_memory_mapped_with_identical_results(string spec)
    {
        string dir = TempDir.Create(), path = Path.Combine(dir, "v.ivf");
        var (data, queries) = Vectors();
        using var built = IvfIndexTests.Build(spec, data, D);
        IvfIndexFile.Save(built, path);
        Assert.Equal(spec.Contains("RFlat"), File.Exists(Path.Combine(dir, "v.flat")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        using var opened = IvfIndexFile.Open(path);
        Assert.Equal(built.Spec, opened.Spec);
        Assert.Equal(3000, opened.Count);
        // PQ files are format version 2 (3 with 4-bit fast-scan codes); the others keep version 1, so earlier files are unchanged.
        Assert.Equal(spec.Contains("x4fs") ? 3 : spec.Contains("PQ") ? 2 : 1, File.ReadAllBytes(path)[8]);
        var (a, b) = (Search(built, queries), Search(opened, queries));
        Assert.Equal(a.Item1, b.Item1);
        Assert.Equal(a.Item2, b.Item2);
        Assert.Throws<InvalidOperationException>(() => opened.Add(data.AsSpan(0, D)));
        // Saving an opened index again gives the same bytes.
        IvfIndexFile.Save(opened, Path.Combine(dir, "again.ivf"));
        Assert.Equal(File.ReadAllBytes(path), File.ReadAllBytes(Path.Combine(dir, "again.ivf")));
    }

    [Theory]
    [InlineData("IVF20,SQ8")]
    [InlineData("IVF20,PQ4")]
    [InlineData("IVF20,PQ5x4fs")]
    [InlineData("IVF20,PQ10x4fsr")]
    public void Shards_merged_in_any_order_equal_the_index_built_at_once_byte_for_byte(string spec)
    {
        string dir = TempDir.Create();
        var (data, _) = Vectors();
        using var whole = IvfIndexTests.Build(spec, data, D, threads: 1);
        IvfIndexFile.Save(whole, Path.Combine(dir, "whole.ivf"));

        using var trained = new IvfIndex(D, IvfSpec.Parse(spec), threads: 3);
        trained.Train(data);
        IvfIndexFile.Save(trained, Path.Combine(dir, "template.ivf"));
        using var template = IvfIndexFile.Open(Path.Combine(dir, "template.ivf"));
        int[] bounds = [0, 1000, 1037, 3000];
        var shards = new List<string>();
        for (int s = bounds.Length - 2; s >= 0; s--)
        {
            using var shard = template.CreateShard(bounds[s]);
            shard.Add(data.AsSpan(bounds[s] * D, (bounds[s + 1] - bounds[s]) * D));
            string shardPath = Path.Combine(dir, $"shard{s}.ivf");
            IvfIndexFile.Save(shard, shardPath);
            shards.Add(shardPath);
        }
        IvfIndexFile.Merge(shards, Path.Combine(dir, "merged.ivf"));
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "whole.ivf")), File.ReadAllBytes(Path.Combine(dir, "merged.ivf")));
    }

    [Fact]
    public void Merge_refuses_shards_trained_apart_or_leaving_gaps()
    {
        string dir = TempDir.Create();
        var (data, _) = Vectors();
        string Shard(ulong seed, long firstId, int count, string name)
        {
            using var trained = new IvfIndex(D, IvfSpec.Parse("IVF20,Flat"), seed: seed);
            trained.Train(data);
            using var shard = trained.CreateShard(firstId);
            shard.Add(data.AsSpan(0, count * D));
            string p = Path.Combine(dir, name);
            IvfIndexFile.Save(shard, p);
            return p;
        }
        string a = Shard(1, 0, 100, "a.ivf"), b = Shard(1, 100, 50, "b.ivf"), gap = Shard(1, 151, 10, "gap.ivf"), other = Shard(2, 100, 50, "other.ivf");
        Assert.Contains("trained differently", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Merge([a, other], Path.Combine(dir, "m.ivf"))).Message);
        Assert.Contains("gaps or overlaps", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Merge([a, b, gap], Path.Combine(dir, "m.ivf"))).Message);
        Assert.Contains("gaps or overlaps", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Merge([a, a], Path.Combine(dir, "m.ivf"))).Message);
        Assert.False(File.Exists(Path.Combine(dir, "m.ivf")));
    }

    [Theory]
    [InlineData("IVF20,SQ8,RFlat")]
    [InlineData("IVF20,PQ5,RFlat")]
    [InlineData("IVF20,PQ10x4fs,RFlat")]
    public void Truncated_corrupt_foreign_or_mismatched_files_are_clear_errors(string spec)
    {
        string dir = TempDir.Create(), path = Path.Combine(dir, "v.ivf");
        var (data, _) = Vectors();
        using (var index = IvfIndexTests.Build(spec, data, D)) IvfIndexFile.Save(index, path);
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..^5]);
        var truncated = Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path)).Message;
        Assert.Contains("truncated", truncated);
        Assert.StartsWith(path + ":", truncated);
        Assert.DoesNotContain('\n', truncated);
        File.WriteAllBytes(path, bytes[..100]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path)).Message);
        var flipped = (byte[])bytes.Clone();
        flipped[^3] ^= 0x40;
        File.WriteAllBytes(path, flipped);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path)).Message);
        var version = (byte[])bytes.Clone();
        version[8] = 9;
        File.WriteAllBytes(path, version);
        Assert.Contains("version 9", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path)).Message);
        var header = (byte[])bytes.Clone();
        header[36] = (byte)(spec.Contains("PQ") ? 2 : 3); // PQ <-> SQ8: the storage no longer matches the format version
        File.WriteAllBytes(path, header);
        Assert.Contains("header is corrupt", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path)).Message);
        if (spec.Contains("PQ"))
        {
            var bits = (byte[])bytes.Clone();
            bits[39] = (byte)(bits[39] == 4 ? 8 : 4); // sub-code bits that do not match the format version
            File.WriteAllBytes(path, bits);
            Assert.Contains("header is corrupt", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path)).Message);
        }
        var codebook = (byte[])bytes.Clone();
        codebook[IvfFileHeader.Bytes + 20 * D * sizeof(float) + 8] ^= 1; // first codec parameters (SQ8 minima, PQ codebooks)
        File.WriteAllBytes(path, codebook);
        Assert.Contains("fingerprint", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path, verifyChecksum: false)).Message);
        File.WriteAllBytes(path, new byte[200]);
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path)).Message);

        File.WriteAllBytes(path, bytes);
        string flat = Path.Combine(dir, "v.flat");
        using (var other = new FlatIndex(D))
        {
            other.Add(data.AsSpan(0, 10 * D));
            VectorIndexFile.Save(other, flat);
        }
        Assert.Contains("do not belong together", Assert.Throws<InvalidDataException>(() => IvfIndexFile.Open(path)).Message);
        File.Delete(flat);
        Assert.Contains("missing", Assert.Throws<FileNotFoundException>(() => IvfIndexFile.Open(path)).Message);
    }

    [Theory]
    [InlineData("IVF20,FP16")]
    [InlineData("IVF20,PQ10")]
    [InlineData("IVF20,PQ10x4fs")]
    public void Files_do_not_depend_on_the_thread_count(string spec)
    {
        string dir = TempDir.Create();
        var (data, _) = Vectors();
        foreach (int threads in new[] { 1, 2, 5 })
        {
            using var index = IvfIndexTests.Build(spec, data, D, threads);
            IvfIndexFile.Save(index, Path.Combine(dir, $"t{threads}.ivf"));
        }
        var one = File.ReadAllBytes(Path.Combine(dir, "t1.ivf"));
        Assert.Equal(one, File.ReadAllBytes(Path.Combine(dir, "t2.ivf")));
        Assert.Equal(one, File.ReadAllBytes(Path.Combine(dir, "t5.ivf")));
    }
}
