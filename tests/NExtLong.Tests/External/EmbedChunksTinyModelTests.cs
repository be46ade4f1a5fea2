using System.Text.Json;
using NExtLong.External;
using NExtLong.Index;

namespace NExtLong.Tests.External;

/// <summary>
/// tools/embed-chunks/embed_chunks.py's torch path — the one the sentence-transformers and transformers backends run
/// on GPUs: device, precision, length-sorted batches, padding, truncation at --max-length, --dim, normalisation, shards
/// as Slurm array tasks — with the tiny random model the script builds itself (`--model tiny-random:SEED`), checked
/// against that model applied here to each chunk text alone, unpadded, then through `nextlong index --vectors` and
/// `nextlong synthesize`. Needs Debian's python3-torch, python3-numpy and python3-zstandard (tools/test-setup.sh).
/// </summary>
[Trait("Tier", "slow")]
public class EmbedChunksTinyModelTests
{
    private const int Seed = 7, MaxLength = 200, Dimension = 24, ChunkChars = 300;

    // The reference: the script's seeded model (its weights are what the seed means), but this snippet's own byte
    // tokenizer, truncation, mean pooling, --dim cut and normalisation, one text at a time with no padding or mask.
    private const string Reference = """
        import json, sys
        import numpy as np, torch
        sys.path.insert(0, sys.argv[1])
        import embed_chunks
        seed, max_length, dim = map(int, sys.argv[2:5])
        with open(sys.argv[5], encoding='utf-8') as f:
            texts = json.load(f)
        model = embed_chunks.tiny_random_module(seed).eval()
        rows = []
        with torch.no_grad():
            for text in texts:
                ids = [1] + [b + 2 for b in text.encode('utf-8')[:max_length - 1]]
                v = model(torch.tensor([ids]))[0].double().numpy().mean(0)[:dim]
                rows.append(v / np.linalg.norm(v))
        np.save(sys.argv[6], np.asarray(rows, np.float32))
        """;

    [Fact]
    public void Batched_vectors_equal_the_model_on_each_chunk_alone_and_build_an_index_that_synthesizes()
    {
        EmbedChunksScript.RequirePython("numpy, zstandard, torch", "python3-torch, python3-numpy and python3-zstandard are");
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 2, documentsPerFile: 12);
        string chunks = Path.Combine(root, "chunks"), array = Path.Combine(root, "emb-array"), single = Path.Combine(root, "emb-single");
        EmbedChunksScript.Succeeds(CliProcess.Run("chunks", "--input", corpus, "--out", chunks, "--chunk-chars", $"{ChunkChars}", "--shard-chunks", "150", "--shard-format", "jsonl.zst"));
        var manifest = ChunksManifest.Read(Path.Combine(chunks, "manifest.json"));
        Assert.True(manifest.Shards.Count >= 3, "the test needs more shards than array tasks");

        // Blocks of 100 rows split the 150-row shards; batches of 16 put texts of different lengths together.
        string[] model = ["--backend", "tiny-random", "--model", $"tiny-random:{Seed}", "--max-length", $"{MaxLength}",
            "--dim", $"{Dimension}", "--batch-size", "16", "--read-rows", "100"];
        for (int task = 0; task < 2; task++)
            EmbedChunksScript.Succeeds(EmbedChunksScript.Run(task, 2, chunks, ["--out", array, .. model]));
        EmbedChunksScript.Succeeds(EmbedChunksScript.Run(null, null, chunks, ["--out", single, .. model]));
        for (int n = 0; n < manifest.Shards.Count; n++)
            Assert.True(File.ReadAllBytes(Path.Combine(array, $"emb-{n:D5}.npy")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(single, $"emb-{n:D5}.npy"))),
                $"emb-{n:D5}.npy differs between two array tasks and one");
        using (var sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(array, "emb-00000.json"))))
            Assert.Equal("float32", sidecar.RootElement.GetProperty("settings").GetProperty("precision").GetString());

        string index = Path.Combine(root, "index");
        EmbedChunksScript.Succeeds(CliProcess.Run("index", "--input", corpus, "--out", index, "--chunk-chars", $"{ChunkChars}", "--vectors", array, "--vectors-model", $"tiny-random-{Seed}"));
        List<string> texts;
        using (var built = ChunkIndex.Open(index))
        {
            Assert.Equal(manifest.Chunks, built.ChunkCount);
            texts = Enumerable.Range(0, (int)built.ChunkCount).Select(i => built.ChunkText(i)).ToList();
        }
        // Truncation and padding both matter only if some texts are cut at --max-length and others are not.
        int cut = texts.Count(t => System.Text.Encoding.UTF8.GetByteCount(t) >= MaxLength - 1);
        Assert.InRange(cut, texts.Count / 4, texts.Count * 3 / 4);

        string textsFile = Path.Combine(root, "texts.json"), referenceFile = Path.Combine(root, "reference.npy");
        File.WriteAllText(textsFile, JsonSerializer.Serialize(texts));
        EmbedChunksScript.Succeeds(EmbedChunksScript.RunPython("-c", Reference, Path.GetDirectoryName(EmbedChunksScript.Path)!,
            $"{Seed}", $"{MaxLength}", $"{Dimension}", textsFile, referenceFile));
        var reference = ReadAll(referenceFile);
        Assert.Equal(texts.Count * Dimension, reference.Length);
        AssertVectors(array, manifest, reference, tolerance: 1e-5f);

        // bfloat16 arithmetic, float16 files: close to the reference, but not the float32 vectors.
        string half = Path.Combine(root, "emb-bf16");
        EmbedChunksScript.Succeeds(EmbedChunksScript.Run(null, null, chunks, ["--out", half, .. model, "--precision", "bfloat16", "--dtype", "float16"]));
        AssertVectors(half, manifest, reference, tolerance: 0.05f);
        Assert.False(File.ReadAllBytes(Path.Combine(half, "emb-00000.npy")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(array, "emb-00000.npy"))));

        string output = Path.Combine(root, "out");
        EmbedChunksScript.Succeeds(CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", output, "--retriever", "dense",
            "--target-tokens", "4096", "--num-samples", "3", "--threads", "2"));
        Assert.True(File.Exists(Path.Combine(output, "stats.json")));
    }

    /// <summary>Each row of the shards' .npy files is the reference row of its chunk.</summary>
    private static void AssertVectors(string dir, ChunksManifest manifest, float[] reference, float tolerance)
    {
        foreach (var (shard, n) in manifest.Shards.Select((s, n) => (s, n)))
        {
            var rows = ReadAll(Path.Combine(dir, $"emb-{n:D5}.npy"));
            Assert.Equal(shard.Rows * Dimension, rows.Length);
            for (int i = 0; i < rows.Length; i++)
            {
                long row = i / Dimension;
                float expected = reference[(shard.FirstChunk + row) * Dimension + i % Dimension];
                Assert.True(Math.Abs(expected - rows[i]) <= tolerance,
                    $"{dir} shard {n} row {row} dimension {i % Dimension}: {rows[i]}, expected {expected}");
            }
        }
    }

    private static float[] ReadAll(string npy)
    {
        using var reader = NpyVectorFile.Open(npy);
        Assert.Equal(Dimension, reader.Dimension);
        var rows = new float[reader.Rows * Dimension];
        Assert.Equal(reader.Rows, reader.Read(rows, new long[reader.Rows]));
        return rows;
    }
}
