using NExtLong.Retrieval;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>An index folder built with an IVF spec: vectors.ivf beside vectors.flat, preferred when opened.</summary>
public class ChunkIndexIvfTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private static string BuildIvf(string root, string name, int threads = 2, string spec = "IVF,SQ8,RFlat")
    {
        string dir = Path.Combine(root, name);
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = dir, IndexSpec = spec, Execution = new() { Threads = threads } });
        return dir;
    }

    [Fact]
    public void Ivf_folder_is_searched_through_vectors_ivf_with_high_recall_against_flat()
    {
        string dir = BuildIvf(sample.Root, "ivf-recall");
        using var index = ChunkIndex.Open(dir);
        var ivf = Assert.IsType<IvfIndex>(index.Vectors);
        Assert.Equal("IVF,SQ8,RFlat", index.Manifest.IndexSpec);
        Assert.Contains("vectors.ivf", index.Manifest.FileChecksums.Keys);
        using var flat = ChunkIndex.Open(sample.IndexDir);
        Assert.StartsWith($"IVF{IvfSpec.DefaultNlist(flat.ChunkCount)},SQ8,RFlat,nprobe=", ivf.Spec);
        Assert.IsType<FlatIndex>(flat.Vectors);
        Assert.Equal(flat.ChunkCount, index.ChunkCount);

        var (_, recall) = RecallAgainstFlat(flat, index, every: 20, k: 64);
        Assert.True(recall >= 0.95, $"recall@64 with the default nprobe is {recall:F3}");
    }

    [Fact]
    public void A_chunk_id_outside_the_index_is_the_callers_error_not_a_corrupt_index()
    {
        using var index = ChunkIndex.Open(sample.IndexDir);
        var vector = new float[index.Vectors.Dimension];
        foreach (long id in new[] { -1L, index.ChunkCount, index.ChunkCount + 1 })
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => index.Chunk(id));
            Assert.Throws<ArgumentOutOfRangeException>(() => index.ChunkText(id));
            Assert.Throws<ArgumentOutOfRangeException>(() => { _ = index.ChunkShingles(id).Length; });
            Assert.Throws<ArgumentOutOfRangeException>(() => index.ReadVector(id, vector));
        }
        long last = index.ChunkCount - 1;
        Assert.Equal(index.Chunk(last).Document, index.DocumentCount - 1);
        Assert.NotEmpty(index.ChunkText(last));
    }

    /// <summary>Every <paramref name="every"/>th chunk's own vector as a query (as the miner uses meta-chunk vectors), and the recall@k of <paramref name="index"/> against exact search.</summary>
    private static (float[] Queries, double Recall) RecallAgainstFlat(ChunkIndex flat, ChunkIndex index, int every, int k)
    {
        var all = ((FlatIndex)flat.Vectors).Rows;
        int d = all.Dimension;
        var queries = new List<float>();
        for (long id = 0; id < flat.ChunkCount; id += every)
            queries.AddRange(all.Block(id / VectorRows.BlockRows * VectorRows.BlockRows, (int)Math.Min(VectorRows.BlockRows, all.Count - id / VectorRows.BlockRows * VectorRows.BlockRows))
                .Slice((int)(id % VectorRows.BlockRows) * d, d).ToArray());
        float[] q = [.. queries];
        int nq = q.Length / d;
        var exact = new long[nq * k];
        var approx = new long[nq * k];
        flat.Vectors.Search(q, k, exact, new float[nq * k]);
        index.Vectors.Search(q, k, approx, new float[nq * k]);
        return (q, IvfIndexTests.Recall(exact, approx, nq, k));
    }

    [Theory]
    [InlineData("IVF,PQ25,RFlat,kfactor=8", "ivf-pq")]
    [InlineData("IVF,PQ50x4fsr,RFlat,kfactor=8", "ivf-pq4")] // 4-bit fast scan of residuals, the same 25 bytes
    public void Pq_folder_reranked_from_vectors_flat_keeps_high_recall_and_honours_exclusions(string spec, string name)
    {
        string dir = BuildIvf(sample.Root, name, spec: spec);
        using var index = ChunkIndex.Open(dir);
        var ivf = Assert.IsType<IvfIndex>(index.Vectors);
        Assert.Equal(IvfStorage.PQ, ivf.Parameters.Storage);
        Assert.Equal(25, ivf.Codec.CodeBytes);
        using var flat = ChunkIndex.Open(sample.IndexDir);
        int d = ivf.Dimension, k = 64;
        var (queries, recall) = RecallAgainstFlat(flat, index, every: 40, k);
        int nq = queries.Length / d;
        Assert.True(recall >= 0.9, $"{spec}: recall@64 with the default nprobe is {recall:F4}");

        // The miner's exclusions: a query's own document's chunks and negatives already used never come back.
        var exclusions = new RangeAndSetExclusions(0, 2000, new HashSet<long>(Enumerable.Range(2000, 3000).Where(i => i % 3 == 0).Select(i => (long)i)));
        var approx = new long[nq * k];
        index.Vectors.Search(queries, k, approx, new float[nq * k], new SearchParameters { Exclusions = exclusions });
        Assert.DoesNotContain(-1L, approx);
        Assert.DoesNotContain(approx, id => exclusions.IsExcluded(0, id));
    }

    [Fact]
    public void Ivf_folder_is_byte_identical_for_one_and_two_threads_and_its_checksum_is_checked()
    {
        string one = BuildIvf(sample.Root, "ivf-t1", threads: 1), two = BuildIvf(sample.Root, "ivf-t2", threads: 2);
        foreach (var f in Directory.GetFiles(one).Select(Path.GetFileName))
            Assert.True(File.ReadAllBytes(Path.Combine(one, f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, f!))), $"{f} differs");
        Assert.True(IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = one, IndexSpec = " ivf , sq8 , rflat " }).Reused);
        Assert.Contains("--overwrite", Assert.Throws<IOException>(() =>
            IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = one, IndexSpec = "Flat" })).Message);

        string ivfFile = Path.Combine(two, "vectors.ivf");
        var bytes = File.ReadAllBytes(ivfFile);
        bytes[^10] ^= 1;
        File.WriteAllBytes(ivfFile, bytes);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => ChunkIndex.Open(two)).Message);
        File.Delete(ivfFile);
        Assert.Contains("vectors.ivf", Assert.Throws<FileNotFoundException>(() => ChunkIndex.Open(two)).Message);
    }

    [Fact]
    public void Synthesis_runs_on_an_ivf_index()
    {
        string dir = BuildIvf(sample.Root, "ivf-synth", spec: "IVF64,FP16");
        var outcome = SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = dir,
            Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] },
            OutDir = Path.Combine(sample.Root, "ivf-synth-out"),
            Synthesis = new SynthesisOptions { NumSamples = 2, TargetTokens = 8192 },
        });
        Assert.Equal(2, outcome.Stats!.DocumentsWritten);
    }

    [Fact]
    public void Cli_rejects_a_bad_index_spec_before_reading_anything()
    {
        string dir = TempDir.Create();
        var (code, _, stderr) = CliProcess.Run("index", "--input", SampleIndexFixture.SamplePath, "--out", Path.Combine(dir, "idx"), "--index-spec", "IVF64,PQ8x4");
        Assert.Equal(1, code);
        Assert.StartsWith("nextlong: error: --index-spec must be", stderr.Trim());
        Assert.Contains("IVF64,PQ8x4", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "idx")));
        Assert.False(Directory.Exists(Path.Combine(dir, "idx.partial")));
    }
}
