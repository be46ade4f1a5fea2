using System.Runtime.InteropServices;
using NExtLong.External;
using NExtLong.Pipeline;

namespace NExtLong.Tests.External;

/// <summary>A split sample corpus, its chunks (several shards), and a glove index built in-process whose vectors the import tests write out.</summary>
public sealed class ImportFixture
{
    public const int ShardChunks = 400;

    public ImportFixture()
    {
        Root = TempDir.Create();
        Corpus = SplitSample.Create(Root, files: 3, documentsPerFile: 80);
        Chunks = Path.Combine(Root, "chunks");
        ChunksStage.Run(new ChunksStage.Options { Corpus = new() { Inputs = [Corpus] }, OutDir = Chunks, ShardChunks = ShardChunks, Execution = new() { Threads = 1 } });
        Manifest = ChunksManifest.Read(Path.Combine(Chunks, "manifest.json"));
        Reference = Path.Combine(Root, "reference");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [Corpus] }, OutDir = Reference, Retriever = NExtLong.Retrieval.RetrieverKind.Dense, Execution = new() { Threads = 2 } });
        var bytes = File.ReadAllBytes(Path.Combine(Reference, "vectors.flat"));
        Vectors = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(64)).ToArray();
        Dimension = Vectors.Length / (int)Manifest.Chunks;
    }

    public string Root { get; }
    public string Corpus { get; }
    public string Chunks { get; }
    public ChunksManifest Manifest { get; }
    public string Reference { get; }
    public float[] Vectors { get; }
    public int Dimension { get; }

    /// <summary>The vectors of one chunk shard (a copy, to alter).</summary>
    public float[] ShardVectors(int shard)
    {
        var s = Manifest.Shards[shard];
        return Vectors.AsSpan((int)(s.FirstChunk * Dimension), (int)(s.Rows * Dimension)).ToArray();
    }

    public long[] ShardIds(int shard)
    {
        var s = Manifest.Shards[shard];
        return Enumerable.Range(0, (int)s.Rows).Select(r => s.FirstChunk + r).ToArray();
    }

    /// <summary>A new folder VECTORS with one file per shard, written by <paramref name="write"/>(shard, path-without-extension).</summary>
    public string WriteAll(Action<int, string> write, int? shards = null)
    {
        string dir = Path.Combine(Root, "vectors-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        for (int i = 0; i < (shards ?? Manifest.Shards.Count); i++) write(i, Path.Combine(dir, $"emb-{i:D5}"));
        return dir;
    }

    public IndexStage.Options Import(string vectors, bool normalize = false, string? chunks = null, string? model = "glove-elsewhere") => new()
    {
        Corpus = new() { Inputs = [Corpus] },
        OutDir = Path.Combine(Root, "imported-" + Guid.NewGuid().ToString("N")[..8]),
        Vectors = [vectors],
        VectorsModel = model,
        ChunksDir = chunks ?? Chunks,
        Normalize = normalize,
        Execution = new() { Threads = 2 },
    };
}
