using System.Diagnostics;
using System.Text;
using NExtLong.External;
using NExtLong.Index;

namespace NExtLong.Tests.External;

/// <summary>
/// The embedding-elsewhere round trip with the real tools: `nextlong chunks` → tools/embed-chunks/embed_chunks.py (as
/// the tasks of a Slurm job array, against a local embedding server speaking TEI's and the OpenAI-compatible API) →
/// `nextlong index --vectors` → `nextlong synthesize`. The vectors are checked against the server's model recomputed
/// here, from the built index's own chunk texts. Needs Debian's python3-numpy and python3-zstandard (tools/test-setup.sh).
/// </summary>
[Trait("Tier", "slow")]
public class EmbedChunksScriptTests
{
    private const int Dimension = 16;
    private static readonly string Server = Path.Combine(SampleCorpus.Root, "tests", "NExtLong.Tests", "External", "embedding-server.py");

    [Fact]
    public void Chunks_embedded_by_the_script_as_an_array_build_an_index_that_synthesizes()
    {
        EmbedChunksScript.RequirePython("numpy, zstandard", "python3-numpy and python3-zstandard are");
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 2, documentsPerFile: 50);
        string chunks = Path.Combine(root, "chunks"), tei = Path.Combine(root, "emb-tei"), openai = Path.Combine(root, "emb-openai");
        EmbedChunksScript.Succeeds(CliProcess.Run("chunks", "--input", corpus, "--out", chunks, "--shard-chunks", "150", "--shard-format", "jsonl.zst"));
        var manifest = ChunksManifest.Read(Path.Combine(chunks, "manifest.json"));
        Assert.True(manifest.Shards.Count >= 3, "the test needs more shards than array tasks");

        using (var server = new EmbeddingServer())
        {
            string url = server.Url;
            // Two array tasks share the shards (s mod 2); a rerun of task 0 finds its shards done.
            for (int task = 0; task < 2; task++)
                EmbedChunksScript.Succeeds(EmbedChunksScript.Run(task, 2, chunks, "--out", tei, "--model", "test", "--backend", "http", "--url", url, "--api", "tei", "--batch-size", "32"));
            Assert.Contains("up to date", EmbedChunksScript.Succeeds(EmbedChunksScript.Run(0, 2, chunks, "--out", tei, "--model", "test", "--backend", "http", "--url", url, "--api", "tei")));
            // The OpenAI-compatible API (vLLM, TEI): unnormalised vectors in another order, Matryoshka truncation, float16.
            EmbedChunksScript.Succeeds(EmbedChunksScript.Run(null, null, chunks, "--out", openai, "--model", "test", "--backend", "http", "--url", url, "--api", "openai",
                "--dim", "12", "--dtype", "float16", "--read-rows", "64"));
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(chunks, "manifest.json")), File.ReadAllBytes(Path.Combine(tei, "manifest.json")));

        // `index --vectors` finds the chunks manifest the script copied beside the vectors.
        string index = Path.Combine(root, "index");
        EmbedChunksScript.Succeeds(CliProcess.Run("index", "--input", corpus, "--out", index, "--vectors", tei, "--vectors-model", "test-server"));
        string index16 = Path.Combine(root, "index-openai");
        EmbedChunksScript.Succeeds(CliProcess.Run("index", "--input", corpus, "--out", index16, "--vectors", openai, "--vectors-model", "test-server-12"));

        using (var built = ChunkIndex.Open(index))
        {
            Assert.Equal(manifest.Chunks, built.ChunkCount);
            Assert.Equal("vectors:test-server", built.Manifest.Embedder);
            var texts = Enumerable.Range(0, (int)built.ChunkCount).Select(i => built.ChunkText(i)).ToList();
            AssertVectors(tei, manifest, texts, Dimension, tolerance: 1e-5f);
            AssertVectors(openai, manifest, texts, 12, tolerance: 2e-3f);
        }

        string output = Path.Combine(root, "out");
        EmbedChunksScript.Succeeds(CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", output, "--retriever", "dense",
            "--target-tokens", "4096", "--num-samples", "3", "--threads", "2"));
        Assert.True(File.Exists(Path.Combine(output, "stats.json")));

        // Vectors of other chunks are refused by the script before it embeds anything.
        string other = Path.Combine(root, "chunks-other");
        EmbedChunksScript.Succeeds(CliProcess.Run("chunks", "--input", corpus, "--out", other, "--shard-chunks", "100", "--shard-format", "jsonl.zst"));
        var refused = EmbedChunksScript.Run(null, null, other, "--out", tei, "--model", "test", "--backend", "http", "--url", "http://127.0.0.1:9");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("holds vectors of other chunks", refused.Stderr);
    }

    /// <summary>Each .npy row is the server's model of that chunk's text, truncated to <paramref name="dimension"/> and L2-normalised.</summary>
    private static void AssertVectors(string dir, ChunksManifest manifest, List<string> texts, int dimension, float tolerance)
    {
        foreach (var (shard, n) in manifest.Shards.Select((s, n) => (s, n)))
        {
            using var reader = NpyVectorFile.Open(Path.Combine(dir, $"emb-{n:D5}.npy"));
            Assert.Equal(shard.Rows, reader.Rows);
            Assert.Equal(dimension, reader.Dimension);
            var rows = new float[shard.Rows * dimension];
            Assert.Equal(shard.Rows, reader.Read(rows, new long[shard.Rows]));
            for (int r = 0; r < shard.Rows; r++)
            {
                var expected = Model(texts[(int)(shard.FirstChunk + r)], dimension);
                for (int j = 0; j < dimension; j++)
                    Assert.True(Math.Abs(expected[j] - rows[r * dimension + j]) <= tolerance,
                        $"{dir} shard {n} row {r} dimension {j}: {rows[r * dimension + j]}, expected {expected[j]}");
            }
        }
    }

    // embedding-server.py's model: raw[j] = Σ_k sin(0.37 b_k + 1.3 j + 0.011 k) over the UTF-8 bytes, first dimensions, normalised.
    private static float[] Model(string text, int dimension)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var raw = new double[dimension];
        for (int j = 0; j < dimension; j++)
            for (int k = 0; k < bytes.Length; k++)
                raw[j] += Math.Sin(0.37 * bytes[k] + 1.3 * j + 0.011 * k);
        double norm = Math.Sqrt(raw.Sum(v => v * v));
        return raw.Select(v => (float)(v / norm)).ToArray();
    }

    /// <summary>embedding-server.py on a free port of 127.0.0.1, stopped by closing its stdin.</summary>
    private sealed class EmbeddingServer : IDisposable
    {
        private readonly Process _process = Process.Start(new ProcessStartInfo(EmbedChunksScript.Python, [Server]) { RedirectStandardInput = true, RedirectStandardOutput = true })!;

        public EmbeddingServer() => Url = $"http://127.0.0.1:{int.Parse(_process.StandardOutput.ReadLine()!)}";

        public string Url { get; }

        public void Dispose()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill();
            _process.Dispose();
        }
    }
}
