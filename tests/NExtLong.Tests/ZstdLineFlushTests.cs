using System.Buffers.Binary;
using NExtLong.External;
using NExtLong.Output;
using NExtLong.Pipeline;
using NExtLong.Synthesis;
using ZstdSharp;

namespace NExtLong.Tests;

/// <summary>
/// The writers of zstd-compressed JSON lines hand zstd whole lines and never flush it per line: a flush ends a block
/// and, in multi-threaded mode, waits for every job given so far, so the JSON and the compression
/// of a jsonl.zst part took turns (synthesize --threads 1 ran 1.5x as long at T = 512K). A file of many small lines is
/// therefore a few blocks, where a flush per line makes at least one block per line.
/// </summary>
public sealed class ZstdLineFlushTests
{
    private const int Lines = 2000;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_jsonl_zst_part_is_not_flushed_per_document(int compressionThreads)
    {
        string dir = TempDir.Create();
        using (var writer = new JsonlZstDatasetWriter(dir, documentsPerPart: Lines, compressionThreads: compressionThreads))
        {
            for (int i = 0; i < Lines; i++)
                writer.Write($"id-{i}", PropertyTests.Document(i, $"document {i}: a short text\nwith a second line"));
            writer.Complete();
        }
        string part = Path.Combine(dir, JsonlZstDatasetWriter.PartName(0));
        Assert.Equal(Lines, DatasetReader.ReadDocuments(dir).Count);
        AssertFewBlocks(part);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_jsonl_zst_chunk_shard_is_not_flushed_per_chunk()
    {
        string dir = TempDir.Create();
        IReadOnlyList<ChunkShard> shards;
        using (var writer = new ChunkShardWriter(dir, shardChunks: Lines, ChunkShardFormat.JsonlZst))
        {
            for (int i = 0; i < Lines; i++) writer.Add($"doc{i / 4}", "src", $"chunk {i} of a document, a few words long");
            shards = writer.Complete();
        }
        string shard = Path.Combine(dir, Assert.Single(shards).File);
        using (var reader = new StreamReader(new DecompressionStream(File.OpenRead(shard))))
            Assert.Equal(Lines, reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        AssertFewBlocks(shard);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_candidate_block_is_not_flushed_per_outcome()
    {
        string dir = TempDir.Create(), path = Path.Combine(dir, "block-00000");
        var outcomes = Enumerable.Range(0, Lines).Select(i => new Synthesizer.Outcome(null, i % 2 == 0 ? DropReason.EmptyMetaDocument : DropReason.IclmWindowTaken)).ToArray();
        CandidateBlock.Write(path, 0, outcomes);
        Assert.Equal(outcomes, CandidateBlock.Read(path, 0, Lines));
        AssertFewBlocks(path);
        Directory.Delete(dir, recursive: true);
    }

    // ~100 KB of lines fit one 128 KB block; a few more allow for zstd's own choices, far from one per line.
    private static void AssertFewBlocks(string path)
    {
        int blocks = Blocks(File.ReadAllBytes(path));
        Assert.InRange(blocks, 1, 8);
    }

    /// <summary>The blocks of the single zstd frame <paramref name="file"/> holds (RFC 8878, 3.1.1).</summary>
    private static int Blocks(byte[] file)
    {
        Assert.Equal(0xFD2FB528u, BinaryPrimitives.ReadUInt32LittleEndian(file));
        byte descriptor = file[4];
        int fcsFlag = descriptor >> 6, dictFlag = descriptor & 3;
        bool singleSegment = (descriptor & 0x20) != 0, checksum = (descriptor & 4) != 0;
        int at = 5 + (singleSegment ? 0 : 1) + dictFlag switch { 0 => 0, 1 => 1, 2 => 2, _ => 4 }
            + fcsFlag switch { 0 => singleSegment ? 1 : 0, 1 => 2, 2 => 4, _ => 8 };
        int blocks = 0;
        while (true)
        {
            int header = file[at] | file[at + 1] << 8 | file[at + 2] << 16;
            bool last = (header & 1) != 0;
            int type = (header >> 1) & 3, size = header >> 3;
            at += 3 + (type == 1 ? 1 : size);
            blocks++;
            if (last) break;
        }
        Assert.Equal(file.Length, at + (checksum ? 4 : 0));
        return blocks;
    }
}
