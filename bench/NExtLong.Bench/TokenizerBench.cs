using System.Diagnostics;
using NExtLong.Corpus;
using NExtLong.Tokenization;

namespace NExtLong.Bench;

/// <summary>
/// The tiktoken family's own encoder (<see cref="TiktokenEncoder"/> over a <see cref="TiktokenRankMap"/>) against
/// Microsoft.ML.Tokenizers' TiktokenTokenizer with the same pre-tokenizer, side by side in one process, alternating:
/// the time to build each from the rank file, and one thread's encoding of the corpus's documents (EncodeToIds of
/// each, the ids compared). Prints medians and the ratios library / ours.
/// Usage: dotnet run -c Release --project bench/NExtLong.Bench -- tokenizers [--corpus PATH] [--repeats 7] [--tokenizer cl100k_base,o200k_base]
/// </summary>
internal static class TokenizerBench
{
    public static int Run(string[] args, string root)
    {
        string Arg(string name, string fallback) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback; }
        string corpus = Arg("--corpus", Path.Combine(root, "samples", "sample-docs.jsonl.gz"));
        int repeats = int.Parse(Arg("--repeats", "7"));
        var texts = CorpusReader.Read(CorpusSource.Parse(corpus), new CorpusReadOptions(), new CorpusReadReport()).Select(d => d.Text).ToList();
        long chars = texts.Sum(t => (long)t.Length);
        Console.WriteLine($"corpus {corpus}: {texts.Count:N0} documents, {chars:N0} chars; {repeats} repeats, alternating; one thread");
        foreach (string spec in Arg("--tokenizer", "cl100k_base,o200k_base").Split(','))
        {
            TiktokenTable table = TargetTokenizer.Load(spec).Tiktoken ?? throw new ArgumentException($"{spec} is not a tiktoken-family tokenizer");
            var build = (Ours: new List<double>(), Library: new List<double>());
            var encode = (Ours: new List<double>(), Library: new List<double>());
            long tokens = 0;
            for (int r = 0; r < repeats; r++)
            {
                // A fresh encoder and instance each repeat, so each side's encoding starts with an empty word cache.
                var watch = Stopwatch.StartNew();
                var map = TiktokenRankMap.Build(table.Ranks);
                build.Ours.Add(watch.Elapsed.TotalSeconds);
                watch.Restart();
                var library = table.Create();
                build.Library.Add(watch.Elapsed.TotalSeconds);
                var ours = new TiktokenEncoder(map, table.PreTokenizer);
                long ourTokens = 0, libraryTokens = 0, checksum = 0;
                for (int side = 0; side < 2; side++)
                {
                    bool oursFirst = r % 2 == 0;
                    bool runOurs = side == 0 ? oursFirst : !oursFirst;
                    watch.Restart();
                    foreach (string text in texts)
                    {
                        IReadOnlyList<int> ids = runOurs ? ours.EncodeToIds(text) : library.EncodeToIds(text);
                        if (runOurs) { ourTokens += ids.Count; checksum += ids.Count > 0 ? ids[^1] : 0; }
                        else { libraryTokens += ids.Count; checksum -= ids.Count > 0 ? ids[^1] : 0; }
                    }
                    (runOurs ? encode.Ours : encode.Library).Add(watch.Elapsed.TotalSeconds);
                }
                if (ourTokens != libraryTokens || checksum != 0)
                    throw new InvalidOperationException($"{spec}: the encoders disagree ({ourTokens:N0} against {libraryTokens:N0} tokens)");
                tokens = ourTokens;
            }
            double bo = Median(build.Ours), bl = Median(build.Library), eo = Median(encode.Ours), el = Median(encode.Library);
            Console.WriteLine($"{spec}: build  ours {bo * 1000:F1} ms, library {bl * 1000:F1} ms: library/ours {bl / bo:F2}x");
            Console.WriteLine($"{spec}: encode ours {tokens / eo / 1e6:F2} M tokens/s, library {tokens / el / 1e6:F2} M tokens/s ({tokens:N0} tokens): library/ours time {el / eo:F2}x");
        }
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
