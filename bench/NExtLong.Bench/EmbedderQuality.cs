using System.Diagnostics;
using System.Numerics.Tensors;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Embedding;

namespace NExtLong.Bench;

/// <summary>
/// Compares chunk embedders as hard-negative miners on a corpus (the bundled sample by default), with a TF-IDF
/// lexical baseline, and measures their throughput. For every chunk the nearest other chunks by cosine similarity are
/// found exactly:
/// <list type="bullet">
/// <item>same-document P@1: the nearest chunk comes from the same document (chunks of documents with 2+ chunks);</item>
/// <item>same-source P@1 of the mined negative: the nearest chunk of another document — the paper's hard negative —
/// comes from the same source collection, i.e. is on a related topic rather than random;</item>
/// <item>mean similarity of the k mined negatives (other documents), and chunks embedded per second on all threads.</item>
/// </list>
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- embedders [--corpus PATH] [--limit N] [--k 8] [--embedders glove,use-lite,tfidf]
/// </summary>
internal static class EmbedderQuality
{
    public static int Run(string[] args, string root)
    {
        var list = args.ToList();
        string Arg(string name, string fallback) { int i = list.IndexOf(name); return i >= 0 && i + 1 < list.Count ? list[i + 1] : fallback; }
        string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
        int limit = int.Parse(Arg("--limit", "0"));
        int k = int.Parse(Arg("--k", "8"));
        // Specs are separated by ';' because ONNX specs take ','-separated options.
        var embedders = Arg("--embedders", "glove;use-lite;tfidf").Split(';', StringSplitOptions.RemoveEmptyEntries);

        var chunker = new ParagraphChunker();
        var texts = new List<string>();
        var documentOf = new List<int>();
        var sourceOf = new List<int>();
        var sources = new Dictionary<string, int>();
        int document = 0;
        foreach (var doc in CorpusReader.Read(CorpusSource.Parse(corpus), new CorpusReadOptions(), new CorpusReadReport()))
        {
            string source = doc.Id.Split(':')[0];
            if (!sources.TryGetValue(source, out int s))
                sources[source] = s = sources.Count;
            string text = chunker.Prepare(doc.Text);
            foreach (var chunk in chunker.Chunk(text))
            {
                if (chunk.Of(text).IsWhiteSpace()) continue;
                texts.Add(chunk.Of(text).ToString());
                documentOf.Add(document);
                sourceOf.Add(s);
            }
            document++;
            if (limit > 0 && texts.Count >= limit) break;
        }
        Console.Error.WriteLine($"{texts.Count:N0} chunks of {document:N0} documents from {sources.Count} sources");

        var rows = new List<string>();
        foreach (string spec in embedders)
        {
            var clock = Stopwatch.StartNew();
            Func<int, int, (int[] Ids, float[] Scores)> neighbours;
            double rate;
            if (spec == "tfidf")
            {
                var tfidf = new TfIdfScorer(texts);
                rate = texts.Count / clock.Elapsed.TotalSeconds;
                neighbours = tfidf.Nearest;
            }
            else
            {
                using var embedder = EmbedderFactory.Create(spec);
                int d = embedder.Dimension;
                var vectors = new float[texts.Count * d];
                clock.Restart();
                int threads = Environment.ProcessorCount, batch = 256;
                for (int from = 0; from < texts.Count; from += batch * threads)
                {
                    Parallel.For(0, threads, t =>
                    {
                        int start = from + t * batch, end = Math.Min(texts.Count, start + batch);
                        if (start < end)
                            embedder.Embed(texts.GetRange(start, end - start), vectors.AsSpan(start * d, (end - start) * d));
                    });
                    Console.Error.Write($"\r{spec}: {Math.Min(texts.Count, from + batch * threads):N0}/{texts.Count:N0} chunks, {Math.Min(texts.Count, from + batch * threads) / clock.Elapsed.TotalSeconds:N1}/s   ");
                }
                rate = texts.Count / clock.Elapsed.TotalSeconds;
                Console.Error.WriteLine();
                neighbours = (query, count) => Dense(vectors, d, texts.Count, query, count);
            }

            var (docP1, sourceP1, meanSim) = Score(neighbours, documentOf, sourceOf, texts.Count, k);
            string row = $"| {spec} | {docP1:F3} | {sourceP1:F3} | {meanSim:F3} | {rate:N1} |";
            rows.Add(row);
            Console.Error.WriteLine(row);
        }
        Console.WriteLine($"| embedder | same-document P@1 | same-source P@1 of the mined negative | mean similarity of {k} mined negatives | chunks/s ({Environment.ProcessorCount} threads) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var row in rows)
            Console.WriteLine(row);
        return 0;
    }

    private static (double DocP1, double SourceP1, double MeanSim) Score(Func<int, int, (int[] Ids, float[] Scores)> neighbours,
        List<int> documentOf, List<int> sourceOf, int n, int k)
    {
        var chunksPerDocument = documentOf.GroupBy(x => x).ToDictionary(g => g.Key, g => g.Count());
        long docHits = 0, docQueries = 0, sourceHits = 0, negatives = 0;
        double simSum = 0;
        object gate = new();
        Parallel.For(0, n, () => (0L, 0L, 0L, 0L, 0.0), (q, _, acc) =>
        {
            // Enough candidates to find k from other documents after dropping the query's own document.
            var (ids, scores) = neighbours(q, k + chunksPerDocument[documentOf[q]]);
            int first = Array.FindIndex(ids, id => id != q);
            if (chunksPerDocument[documentOf[q]] > 1 && first >= 0)
            {
                acc.Item2++;
                if (documentOf[ids[first]] == documentOf[q]) acc.Item1++;
            }
            int taken = 0;
            for (int i = 0; i < ids.Length && taken < k; i++)
            {
                if (ids[i] < 0 || documentOf[ids[i]] == documentOf[q]) continue;
                if (taken == 0 && sourceOf[ids[i]] == sourceOf[q]) acc.Item3++;
                acc.Item5 += scores[i];
                acc.Item4++;
                taken++;
            }
            return acc;
        }, acc =>
        {
            lock (gate)
            {
                docHits += acc.Item1; docQueries += acc.Item2; sourceHits += acc.Item3; negatives += acc.Item4; simSum += acc.Item5;
            }
        });
        return ((double)docHits / Math.Max(1, docQueries), (double)sourceHits / n, simSum / Math.Max(1, negatives));
    }

    private static (int[] Ids, float[] Scores) Dense(float[] vectors, int d, int n, int query, int count)
    {
        var q = vectors.AsSpan(query * d, d);
        var scores = new float[n];
        for (int i = 0; i < n; i++)
            scores[i] = TensorPrimitives.Dot(q, vectors.AsSpan(i * d, d));
        return TopK(scores, count);
    }

    internal static (int[] Ids, float[] Scores) TopK(float[] scores, int count)
    {
        count = Math.Min(count, scores.Length);
        var ids = Enumerable.Range(0, scores.Length).ToArray();
        var keys = (float[])scores.Clone();
        for (int i = 0; i < keys.Length; i++) keys[i] = -keys[i];
        Array.Sort(keys, ids);
        var top = ids[..count];
        return (top, top.Select(i => scores[i]).ToArray());
    }
}
