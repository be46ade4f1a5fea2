using System.Diagnostics;
using System.Text;
using NExtLong.Corpus;
using ZstdSharp;

namespace NExtLong.Tests;

/// <summary>
/// Streaming must keep memory bounded however large the file: reads a generated 200 MB (uncompressed) .jsonl.zst
/// and checks the live heap and the working set now and then (measured here: under 0.1 MB and about 6 MB above
/// where they started). Runs alone, since the heap is shared with every other test.
/// </summary>
[CollectionDefinition(nameof(CorpusMemoryTests), DisableParallelization = true)]
[Collection(nameof(CorpusMemoryTests))]
public class CorpusMemoryTests
{
    private const long UncompressedBytes = 200L << 20;
    private const long LiveHeapLimit = 32L << 20;
    // Looser: the working set also holds the zstd window and whatever the GC has not yet returned to the OS.
    private const long WorkingSetLimit = 96L << 20;

    [Fact]
    public void Reading_a_200_MB_zstd_file_keeps_the_live_heap_within_tens_of_MB()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("large.jsonl.zst");
        long documents = Generate(path);

        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long workingSetBaseline = Environment.WorkingSet;
        long peak = 0;
        long workingSetPeak = 0;
        long read = 0;
        long chars = 0;
        var clock = Stopwatch.StartNew();
        foreach (CorpusDocument document in CorpusReader.Read(new CorpusSource("large", [path]), new CorpusReadOptions(), new CorpusReadReport(),
                     TestContext.Current.CancellationToken))
        {
            chars += document.Text.Length;
            if (++read % 20_000 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
                workingSetPeak = Math.Max(workingSetPeak, Environment.WorkingSet - workingSetBaseline);
            }
        }
        clock.Stop();

        Assert.Equal(documents, read);
        TestContext.Current.SendDiagnosticMessage(
            $"read {UncompressedBytes >> 20} MB of .jsonl.zst in {clock.Elapsed.TotalSeconds:F1} s; live heap peak {peak >> 10} KiB, " +
            $"working set peak {workingSetPeak >> 20} MiB above baseline");
        Assert.InRange(peak, long.MinValue, LiveHeapLimit);
        Assert.InRange(workingSetPeak, long.MinValue, WorkingSetLimit);
        Assert.True(chars > UncompressedBytes / 2);
    }

    /// <summary>Writes documents of 1–4 KB until the uncompressed size is reached; returns how many.</summary>
    private static long Generate(string path)
    {
        var random = new Random(7);
        string[] words = ["long", "context", "document", "chunk", "meta", "negative", "retrieval", "corpus", "token", "model",
            "training", "data", "synthesis", "hard", "mining", "interleave", "naïve", "café", "😀", "長文"];
        using var file = File.Create(path);
        using var zstd = new CompressionStream(file, level: 1);
        var line = new StringBuilder();
        var bytes = new byte[64 << 10];
        long written = 0;
        long count = 0;
        while (written < UncompressedBytes)
        {
            line.Clear().Append("{\"id\":\"doc-").Append(count).Append("\",\"url\":\"https://example.org/").Append(count).Append("\",\"text\":\"");
            int length = random.Next(1000, 4000);
            while (line.Length < length)
                line.Append(words[random.Next(words.Length)]).Append(' ');
            line.Append("\"}\n");
            int n = Encoding.UTF8.GetBytes(line.ToString(), bytes);
            zstd.Write(bytes, 0, n);
            written += n;
            count++;
        }
        return count;
    }
}
