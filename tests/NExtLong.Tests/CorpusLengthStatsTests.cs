using System.Text.Json;
using NExtLong.Corpus;
using NExtLong.Pipeline;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

public class CorpusLengthStatsTests
{
    [Fact]
    public void Reports_table_6_shares_and_percentiles()
    {
        string dir = TempDir.Create();
        string path = Path.Combine(dir, "c.jsonl");
        var tokenizer = TargetTokenizer.Load("cl100k_base");
        string[] texts = ["short one", string.Concat(Enumerable.Repeat("word ", 500)), string.Concat(Enumerable.Repeat("word ", 9000)), "another short"];
        File.WriteAllLines(path, texts.Select((t, i) => JsonSerializer.Serialize(new { id = i.ToString(), text = t })));
        var stats = CorpusLengthStats.Measure([CorpusSource.Parse(path)], tokenizer, new CorpusReadOptions(), new CorpusReadReport(), threads: 2);
        var counts = texts.Select(tokenizer.CountTokens).Order().ToArray();
        Assert.Equal(4, stats.Documents);
        Assert.Equal(counts.Sum(), stats.Tokens);
        Assert.Equal(counts[^1], stats.Max);
        Assert.True(counts[^1] > CorpusLengthStats.ShortLimit);
        Assert.Equal(0.75, stats.ShareAtMost8192);
        Assert.Equal(counts[1], stats.Median);
        Assert.Equal(4, stats.Histogram.Sum(h => h.Documents));
        Assert.All(stats.Histogram.Zip(stats.Histogram.Skip(1)), p => Assert.Equal(p.First.UpTo * 2, p.Second.UpTo));
    }
}
