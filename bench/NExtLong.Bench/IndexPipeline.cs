using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;
using NExtLong.Index;
using NExtLong.Pipeline;

namespace NExtLong.Bench;

/// <summary>
/// Embedder utilisation of an index build (read → chunk → embed → write, as `nextlong index --retriever dense` runs
/// it): the share of the build's wall time in which the embedder is working, i.e. at least one Embed call is in
/// flight. The rest is time the embedder waits for reading, chunking, shingling or writing. Each run builds the index
/// of the first `--documents` documents of the corpus afresh (read from a file each time, so reading is measured);
/// the embedder is loaded once, outside the timing, and `--warmup` runs (default 1) come first, uncounted.
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- index-pipeline [--embedder use-lite] [--corpus PATH]
///        [--documents N] [--chunk-chars N] [--threads N] [--runs N] [--warmup N]
/// Prints one JSON line per run (stdout) and the medians (stderr).
/// </summary>
internal static class IndexPipeline
{
    public static int Run(string[] args, string root)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        string spec = Arg("--embedder", "use-lite");
        string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
        int documents = int.Parse(Arg("--documents", "400"), CultureInfo.InvariantCulture);
        int chunkChars = int.Parse(Arg("--chunk-chars", ParagraphChunker.DefaultMaxChars.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        int threads = int.Parse(Arg("--threads", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        int runs = int.Parse(Arg("--runs", "3"), CultureInfo.InvariantCulture);
        int warmup = int.Parse(Arg("--warmup", "1"), CultureInfo.InvariantCulture);

        string work = Directory.CreateTempSubdirectory("nextlong-pipeline-").FullName;
        try
        {
            // The subset as a corpus file of its own, so every run reads and parses it as a build would.
            string subset = Path.Combine(work, "subset.jsonl");
            using (var w = new StreamWriter(subset))
                foreach (var doc in CorpusReader.Read(CorpusSource.Parse(corpus), new CorpusReadOptions(), new CorpusReadReport()).Take(documents))
                    w.WriteLine(JsonSerializer.Serialize(new { id = doc.Id, text = doc.Text }));
            var sources = CorpusInputs.Parse([subset], null, null);
            var described = CorpusInputs.Describe(sources, checksums: false);
            var chunker = new ParagraphChunker(chunkChars);
            using var embedder = new BusyEmbedder(EmbedderFactory.Create(spec));
            var walls = new List<double>();
            var utilisations = new List<double>();
            for (int run = -warmup; run < runs; run++)
            {
                string dir = Path.Combine(work, $"index-{run + warmup}");
                Directory.CreateDirectory(dir);
                var report = new CorpusReadReport();
                var docs = CorpusReader.ReadFile(sources[0], subset, new CorpusReadOptions(), report).Select(d => (d, 0, 0));
                embedder.Reset();
                var clock = Stopwatch.StartNew();
                var result = new ChunkIndexBuilder(chunker, embedder, threads).Build(dir, described, CorpusInputs.Fields(sources), docs, () => report.SkippedTotal);
                double wall = clock.Elapsed.TotalSeconds, busy = embedder.BusySeconds;
                Directory.Delete(dir, recursive: true);
                if (run < 0) continue;
                walls.Add(wall);
                utilisations.Add(busy / wall);
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    embedder = spec, documents = result.Documents, chunks = result.Chunks, threads, wall_s = Math.Round(wall, 3),
                    embedder_busy_s = Math.Round(busy, 3), utilisation = Math.Round(busy / wall, 4), chunks_per_s = Math.Round(result.Chunks / wall, 1),
                }));
            }
            walls.Sort();
            utilisations.Sort();
            Console.Error.WriteLine($"index-pipeline {spec}: median wall {walls[runs / 2]:F3} s, median embedder utilisation {utilisations[runs / 2]:P1} ({runs} runs, {threads} threads)");
            return 0;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Measures the wall time in which at least one call of the wrapped embedder is running.</summary>
    private sealed class BusyEmbedder(IEmbedder inner) : IEmbedder
    {
        private readonly object _gate = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _inFlight;
        private long _since, _busy;

        public string Spec => inner.Spec;

        public int Dimension => inner.Dimension;

        public double BusySeconds => (double)_busy / Stopwatch.Frequency;

        public void Reset() => _busy = 0;

        public void Embed(IReadOnlyList<string> texts, Span<float> destination) => Embed(texts, destination, CancellationToken.None);

        public void Embed(IReadOnlyList<string> texts, Span<float> destination, CancellationToken ct)
        {
            lock (_gate)
                if (_inFlight++ == 0) _since = _clock.ElapsedTicks;
            try
            {
                inner.Embed(texts, destination, ct);
            }
            finally
            {
                lock (_gate)
                    if (--_inFlight == 0) _busy += _clock.ElapsedTicks - _since;
            }
        }

        public void Dispose() => inner.Dispose();
    }
}
