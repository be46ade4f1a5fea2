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
        Assert.Equal(Enumerable.Range(0, manifest.Shards.Count).Select(i => ChunkShardWriter.FileName(i)), manifest.Shards.Select(s => s.File));

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
    public void Jsonl_zst_shards_hold_the_rows_of_the_parquet_shards_and_a_other_format_replaces_them_only_with_overwrite()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 2, documentsPerFile: 60);
        string parquet = Path.Combine(root, "parquet"), jsonl = Path.Combine(root, "jsonl");
        ChunksStage.Run(Options(corpus, parquet), ct: TestContext.Current.CancellationToken);
        ChunksStage.Run(Options(corpus, jsonl) with { ShardFormat = ChunkShardFormat.JsonlZst }, ct: TestContext.Current.CancellationToken);
        var expected = ReadRows(parquet);
        var manifest = ChunksManifest.Read(Path.Combine(jsonl, ChunksManifest.FileName));
        Assert.Equal("jsonl.zst", manifest.ShardFormat);
        Assert.Equal(ChunksManifest.Read(Path.Combine(parquet, ChunksManifest.FileName)).Shards.Select(s => (s.FirstChunk, s.Rows)), manifest.Shards.Select(s => (s.FirstChunk, s.Rows)));
        var rows = new List<ChunkShardRow>();
        foreach (var (shard, n) in manifest.Shards.Select((s, n) => (s, n)))
        {
            Assert.Equal(ChunkShardWriter.FileName(n, ChunkShardFormat.JsonlZst), shard.File);
            using var stream = new ZstdSharp.DecompressionStream(File.OpenRead(Path.Combine(jsonl, shard.File)));
            using var reader = new StreamReader(stream);
            int before = rows.Count;
            while (reader.ReadLine() is { } line)
            {
                using var json = JsonDocument.Parse(line);
                var e = json.RootElement;
                rows.Add(new ChunkShardRow { ChunkId = e.GetProperty("chunk_id").GetInt64(), DocumentId = e.GetProperty("document_id").GetString()!,
                    Source = e.GetProperty("source").GetString()!, Text = e.GetProperty("text").GetString()! });
            }
            Assert.Equal(shard.Rows, rows.Count - before);
        }
        Assert.Equal(expected.Select(r => (r.ChunkId, r.DocumentId, r.Source, r.Text)), rows.Select(r => (r.ChunkId, r.DocumentId, r.Source, r.Text)));

        // The other format is not the folder's: refused, then rewritten with --overwrite (the old shards removed).
        var refused = Assert.Throws<IOException>(() => ChunksStage.Run(Options(corpus, jsonl)));
        Assert.Contains("shard_format jsonl.zst, not parquet", refused.Message);
        Assert.False(ChunksStage.Run(Options(corpus, jsonl) with { Execution = new() { Overwrite = true } }, ct: TestContext.Current.CancellationToken).Reused);
        Assert.Equal(expected.Count, ReadRows(jsonl).Count);
        Assert.DoesNotContain(Directory.EnumerateFiles(jsonl), f => f.EndsWith(".jsonl.zst", StringComparison.Ordinal));
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
