using System.Diagnostics;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Retrieval;

namespace NExtLong.Bench;

/// <summary>
/// The lexical index at scale: the sample corpus's chunks repeated until <c>--chunks</c> (5M by default), so the
/// term distribution is real and every posting list grows with the corpus — the worst case for an engine without
/// pruning. Reports build chunks/s on one thread, peak resident memory (bounded by the writer's spill buffer, not
/// the corpus), bytes per chunk, and one-thread queries/s at k = 512 with exclusions of a 5-chunk document.
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- bm25-scale [--chunks 5000000] [--queries 100] [--k 512]
/// </summary>
internal static class Bm25ScaleCheck
{
    public static int Run(string[] args, string root)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        long target = long.Parse(Arg("--chunks", "5000000"));
        int queries = int.Parse(Arg("--queries", "100")), k = int.Parse(Arg("--k", "512"));
        var settings = new Bm25Settings();
        var chunker = new ParagraphChunker();
        var chunks = new List<string>();
        foreach (var doc in CorpusReader.Read(CorpusSource.Parse(Path.Combine(root, "samples", "sample-docs.jsonl.gz")), new CorpusReadOptions(), new CorpusReadReport()))
        {
            string text = chunker.Prepare(doc.Text);
            foreach (var c in chunker.Chunk(text))
                if (!c.Of(text).IsWhiteSpace()) chunks.Add(c.Of(text).ToString());
        }
        string work = Directory.CreateTempSubdirectory("nextlong-bm25-scale-").FullName;
        string path = Path.Combine(work, "lexical.bm25");
        double rssBefore = PeakRssMiB();
        var clock = Stopwatch.StartNew();
        using (var writer = new LexicalIndexWriter(path, settings))
        {
            for (long i = 0; i < target; i++)
            {
                writer.Add(chunks[(int)(i % chunks.Count)]);
                if (i % 1_000_000 == 999_999) Console.Error.WriteLine($"{i + 1:N0} chunks in {clock.Elapsed.TotalSeconds:F0} s, peak RSS {PeakRssMiB():N0} MiB");
            }
            writer.Complete();
        }
        double build = clock.Elapsed.TotalSeconds;
        double rssBuild = PeakRssMiB();
        using var lexical = LexicalIndex.Open(path, settings, target);
        var scratch = new LexicalScratch();
        var terms = new int[settings.QueryTerms];
        var ids = new long[k];
        var scores = new float[k];
        clock.Restart();
        for (int q = 0; q < queries; q++)
        {
            long own = (long)q * target / queries;
            int n = lexical.QueryTerms(chunks[(int)(own % chunks.Count)], terms, scratch);
            lexical.Search(terms.AsSpan(0, n), k, ids, scores, scratch, new NExtLong.Index.RangeAndSetExclusions(own, own + 5));
        }
        double search = clock.Elapsed.TotalSeconds;
        long bytes = new FileInfo(path).Length;
        Console.WriteLine($"{target:N0} chunks (the sample's {chunks.Count:N0} repeated); {Environment.ProcessorCount} cores, load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"build: {build:F0} s = {target / build:N0} chunks/s on one thread; peak RSS {rssBuild:N0} MiB (before: {rssBefore:N0} MiB, holding the sample's text); {bytes / (double)target:F1} bytes/chunk ({bytes / 1048576.0:N0} MiB)");
        Console.WriteLine($"search: {queries} queries at k = {k}: {queries / search:F1} queries/s on one thread ({1000 * search / queries:F0} ms each); peak RSS {PeakRssMiB():N0} MiB");
        Directory.Delete(work, recursive: true);
        return 0;
    }

    private static double PeakRssMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:")) return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        return 0;
    }
}
