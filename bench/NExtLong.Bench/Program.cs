using System.Diagnostics;
using System.Text.Json;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

// Per-stage throughput of the NExtLong pipeline on a corpus (the bundled sample by default): each stage runs
// `--repeats` times and the median is reported, with the peak resident memory seen after the stage.
// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- [--corpus PATH] [--repeats N] [--samples N] [--json OUT]
// Embedder quality and throughput: ... -- embedders (see EmbedderQuality.cs).
// Synthesis against one all-core tokenization of its output, and its thread scaling: ... -- synthesis-floor (SynthesisFloor.cs).
if (args.FirstOrDefault() == "embedders") return NExtLong.Bench.EmbedderQuality.Run(args[1..], FindRoot());
if (args.FirstOrDefault() == "synthesis-floor") return NExtLong.Bench.SynthesisFloor.Run(args[1..], FindRoot());
// The tiktoken family's own encoder against Microsoft.ML.Tokenizers' TiktokenTokenizer: ... -- tokenizers (TokenizerBench.cs).
if (args.FirstOrDefault() == "tokenizers") return NExtLong.Bench.TokenizerBench.Run(args[1..], FindRoot());
// Our BM25 engine against Lucene.Net: ... -- bm25 (see Bm25EngineBench.cs); retrievers' quality: ... -- retrievers (RetrieverQuality.cs).
if (args.FirstOrDefault() == "bm25") return NExtLong.Bench.Bm25EngineBench.Run(args[1..], FindRoot());
if (args.FirstOrDefault() == "bm25-index") return NExtLong.Bench.Bm25IndexQueries.Run(args[1..]);
if (args.FirstOrDefault() == "bm25-scale") return NExtLong.Bench.Bm25ScaleCheck.Run(args[1..], FindRoot());
if (args.FirstOrDefault() == "retrievers") return NExtLong.Bench.RetrieverQuality.Run(args[1..], FindRoot());
// Embedder utilisation of an index build (reading and chunking against embedding): ... -- index-pipeline (IndexPipeline.cs).
if (args.FirstOrDefault() == "index-pipeline") return NExtLong.Bench.IndexPipeline.Run(args[1..], FindRoot());
var argsList = args.ToList();
string Arg(string name, string fallback) { int i = argsList.IndexOf(name); return i >= 0 && i + 1 < argsList.Count ? argsList[i + 1] : fallback; }
string root = FindRoot();
string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
int repeats = int.Parse(Arg("--repeats", "3"));
int samples = int.Parse(Arg("--samples", "16"));
string? jsonOut = Arg("--json", "") is { Length: > 0 } j ? j : null;
string work = Directory.CreateTempSubdirectory("nextlong-bench-").FullName;
var results = new List<StageResult>();

var source = CorpusSource.Parse(corpus);
var docs = CorpusReader.Read(source, new CorpusReadOptions(), new CorpusReadReport()).ToList();
long corpusChars = docs.Sum(d => (long)d.Text.Length);

Measure("read", "documents", () => CorpusReader.Read(source, new CorpusReadOptions(), new CorpusReadReport()).Count());

var chunker = new ParagraphChunker();
var chunkTexts = new List<string>();
Measure("chunk", "chunks", () =>
{
    chunkTexts.Clear();
    var spans = new List<ChunkSpan>();
    foreach (var d in docs)
    {
        string text = chunker.Prepare(d.Text);
        chunker.Chunk(text, spans);
        foreach (var s in spans) chunkTexts.Add(s.Of(text).ToString());
    }
    return chunkTexts.Count;
});

var embedder = EmbedderFactory.Create("glove");
var vectors = new float[chunkTexts.Count * embedder.Dimension];
Measure("embed (1 thread)", "embeddings", () => { embedder.Embed(chunkTexts, vectors); return chunkTexts.Count; });
Measure($"embed ({Environment.ProcessorCount} threads)", "embeddings", () =>
{
    int slices = Environment.ProcessorCount;
    Parallel.For(0, slices, s =>
    {
        int from = chunkTexts.Count * s / slices, to = chunkTexts.Count * (s + 1) / slices;
        embedder.Embed(chunkTexts.GetRange(from, to - from), vectors.AsSpan(from * embedder.Dimension, (to - from) * embedder.Dimension));
    });
    return chunkTexts.Count;
});

string indexDir = Path.Combine(work, "index");
Measure("index build (read+chunk+embed+write)", "chunks", () =>
    IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = indexDir, Retriever = NExtLong.Retrieval.RetrieverKind.Dense, Execution = new() { Overwrite = true } }).Chunks);

using (var index = ChunkIndex.Open(indexDir))
{
    int nq = Math.Min(10_000, chunkTexts.Count), k = 64, d = embedder.Dimension;
    var ids = new long[nq * k];
    var scores = new float[nq * k];
    var queries = vectors.AsSpan(0, nq * d).ToArray();
    Measure($"search Flat (nq={nq}, k={k}, N={index.ChunkCount})", "queries", () => { index.Vectors.Search(queries, k, ids, scores); return nq; });
}

var tokenizer = TargetTokenizer.Load("cl100k_base");
string sampleText = string.Join("\n\n", docs.Take(200).Select(x => x.Text));
Measure("tokenize cl100k_base", "tokens", () => tokenizer.CountTokens(sampleText));

Measure($"synthesize (N={samples}, T=131072)", "output tokens", () =>
{
    var outcome = SynthesisStage.Run(new SynthesisStage.Options
    {
        IndexDir = indexDir,
        Corpus = new() { Inputs = [corpus] },
        OutDir = Path.Combine(work, "out"),
        Synthesis = new SynthesisOptions { NumSamples = samples, TargetTokens = 131_072 },
        Execution = new() { Overwrite = true },
    });
    return outcome.Stats!.TokensTotal;
});

Console.WriteLine();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; corpus {Path.GetFileName(corpus)}: {docs.Count:N0} documents, {corpusChars / 1e6:F1} M chars; median of {repeats}");
Console.WriteLine($"{"stage",-48} {"items",12} {"median s",10} {"rate/s",14} {"peak RSS MiB",13}");
foreach (var r in results)
    Console.WriteLine($"{r.Stage,-48} {r.Items,12:N0} {r.MedianSeconds,10:F3} {r.Rate,14:N0} {r.PeakRssMiB,13:N0}  ({r.Unit}/s)");
if (jsonOut is not null) File.WriteAllText(jsonOut, JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
Directory.Delete(work, recursive: true);
return 0;

void Measure(string stage, string unit, Func<long> run)
{
    var times = new List<double>();
    long items = 0;
    for (int i = 0; i < repeats; i++)
    {
        var sw = Stopwatch.StartNew();
        items = run();
        times.Add(sw.Elapsed.TotalSeconds);
    }
    times.Sort();
    double median = times[times.Count / 2];
    var r = new StageResult(stage, unit, items, median, items / median, PeakRssMiB());
    results.Add(r);
    Console.Error.WriteLine($"{stage}: {items:N0} {unit} in {median:F3} s (median) = {r.Rate:N0} {unit}/s");
}

static double PeakRssMiB()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:")) return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
    return Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
}

static string FindRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "NExtLong.slnx"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}

internal sealed record StageResult(string Stage, string Unit, long Items, double MedianSeconds, double Rate, double PeakRssMiB);
