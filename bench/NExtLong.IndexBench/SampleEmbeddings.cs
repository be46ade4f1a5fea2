using NExtLong.Index;
using NExtLong.Pipeline;

namespace NExtLong.IndexBench;

/// <summary>
/// Real embeddings for the side-by-side benchmark: the bundled sample corpus chunked and embedded by the library
/// (GloVe SIF, d = 100), written as xb.fbin; the queries (xq.fbin) are the chunk vectors themselves, as hard-negative
/// mining searches with meta-chunk vectors. Ground truth comes from bench/faiss/add_groundtruth.py.
/// </summary>
internal static class SampleEmbeddings
{
    public static void Run(Args args)
    {
        string outDir = args.Required("--out");
        string corpus = args.Get("--corpus", Path.Combine(FindRoot(), "samples", "sample-docs.jsonl.gz"));
        string indexDir = Path.Combine(Path.GetTempPath(), $"nextlong-indexbench-sample-{Environment.ProcessId}");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = indexDir, Retriever = NExtLong.Retrieval.RetrieverKind.Dense, Execution = new() { Overwrite = true } });
        using (var index = ChunkIndex.Open(indexDir))
        {
            var rows = ((FlatIndex)index.Vectors).Rows;
            var all = new float[rows.Count * rows.Dimension];
            for (long start = 0; start < rows.Count; start += VectorRows.BlockRows)
                rows.Block(start, (int)Math.Min(VectorRows.BlockRows, rows.Count - start)).CopyTo(all.AsSpan((int)(start * rows.Dimension)));
            Directory.CreateDirectory(outDir);
            BinVectors.Write(Path.Combine(outDir, "xb.fbin"), (int)rows.Count, rows.Dimension, all);
            BinVectors.Write(Path.Combine(outDir, "xq.fbin"), (int)rows.Count, rows.Dimension, all);
            Console.Error.WriteLine($"{rows.Count:N0} chunk vectors of dimension {rows.Dimension} from {corpus} → {outDir}");
        }
        Directory.Delete(indexDir, recursive: true);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NExtLong.slnx"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
