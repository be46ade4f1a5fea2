using System.Text.Json;
using NExtLong.External;
using NExtLong.Index;
using NExtLong.Pipeline;
using Parquet.Serialization;

namespace NExtLong.Tests.External;

/// <summary>`nextlong chunks`: exactly the index's chunks, in its order, sharded by a size that W does not change.</summary>
public class ChunksStageTests
{
    private static ChunksStage.Options Options(string corpus, string outDir, RankAssignment? rank = null, bool merge = false, int shardChunks = 700)
        => new() { Corpus = new() { Inputs = [corpus] }, OutDir = outDir, ShardChunks = shardChunks, Execution = new() { Rank = rank, Merge = merge, Threads = 1 } };

    internal static List<ChunkShardRow> ReadRows(string dir)
    {
        var manifest = ChunksManifest.Read(Path.Combine(dir, ChunksManifest.FileName));
        var rows = new List<ChunkShardRow>();
        foreach (var shard in manifest.Shards)
        {
            using var stream = File.OpenRead(Path.Combine(dir, shard.File));
            var read = ParquetSerializer.DeserializeAsync<ChunkShardRow>(stream).GetAwaiter().GetResult().Data;
            Assert.Equal(shard.Rows, read.Count);
            Assert.Equal(shard.Xxh64, FileChecksum.Of(Path.Combine(dir, shard.File)));
            rows.AddRange(read);
        }
        return rows;
    }

    [Fact]
    public void Chunks_are_the_index_chunks_in_index_order_with_their_ids()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 3, documentsPerFile: 120);
        var outcome = ChunksStage.Run(Options(corpus, Path.Combine(root, "chunks")), ct: TestContext.Current.CancellationToken);
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = Path.Combine(root, "index"), Execution = new() { Threads = 2 } }, ct: TestContext.Current.CancellationToken);

        using var index = ChunkIndex.Open(Path.Combine(root, "index"));
        var rows = ReadRows(Path.Combine(root, "chunks"));
        Assert.Equal(index.ChunkCount, rows.Count);
        Assert.Equal(index.ChunkCount, outcome.Chunks);
        Assert.True(outcome.Shards > 1, "the test needs several shards");
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(i, rows[i].ChunkId);
            Assert.Equal(index.ChunkText(i), rows[i].Text);
            var doc = index.Document(index.Chunk(i).Document);
            Assert.Equal(doc.Id, rows[i].DocumentId);
            Assert.Equal(doc.Source, rows[i].Source);
        }
        var manifest = ChunksManifest.Read(Path.Combine(root, "chunks", "manifest.json"));
        Assert.Equal(index.Manifest.Sources, manifest.Sources, IndexedSource.Comparer);
        Assert.All(manifest.Shards.SkipLast(1), s => Assert.Equal(700, s.Rows));
        Assert.Equal(Enumerable.Range(0, manifest.Shards.Count).Select(ChunkShardWriter.FileName), manifest.Shards.Select(s => s.File));

        // A second run with the same inputs reuses the folder.
        Assert.True(ChunksStage.Run(Options(corpus, Path.Combine(root, "chunks")), ct: TestContext.Current.CancellationToken).Reused);
    }

    [Fact]
    public void Ranks_then_merge_write_the_bytes_of_a_local_run_for_any_world_size()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 4, documentsPerFile: 60);
        string local = Path.Combine(root, "local");
        ChunksStage.Run(Options(corpus, local), ct: TestContext.Current.CancellationToken);
        foreach (int w in new[] { 1, 3 })
        {
            string outDir = Path.Combine(root, $"w{w}");
            for (int r = w - 1; r >= 0; r--)
                ChunksStage.Run(Options(corpus, outDir, new RankAssignment(r, w)), ct: TestContext.Current.CancellationToken);
            Assert.False(File.Exists(Path.Combine(outDir, "manifest.json")));
            var merged = ChunksStage.Run(Options(corpus, outDir, merge: true), ct: TestContext.Current.CancellationToken);
            Assert.Equal(4, merged.UnitsDone);
            SplitSample.AssertSameTree(local, outDir);
            Assert.False(Directory.Exists(Path.Combine(outDir + ".work", "units")));
        }
    }

    [Fact]
    public void Shard_size_is_validated_and_another_folder_kind_is_refused()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 1, documentsPerFile: 5);
        var error = Assert.Throws<OptionValidationException>(() => ChunksStage.Run(Options(corpus, Path.Combine(root, "c"), shardChunks: 0)));
        Assert.Equal("ShardChunks", error.Property);
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = Path.Combine(root, "index"), Execution = new() { Threads = 1 } }, ct: TestContext.Current.CancellationToken);
        var refused = Assert.Throws<IOException>(() => ChunksStage.Run(Options(corpus, Path.Combine(root, "index"))));
        Assert.Contains("holds a nextlong index, not a chunks folder", refused.Message);
    }
}
