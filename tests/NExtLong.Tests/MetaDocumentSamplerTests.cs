using System.Text.Json;
using NExtLong.Corpus;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>The meta-document sample: the smallest keys, ties broken by location, whatever the order or threads that offer.</summary>
public class MetaDocumentSamplerTests
{
    // Ids repeat (a corpus may repeat an id: equal keys), spread over several files.
    private static List<(CorpusDocument Doc, int Source)> Documents() =>
        [.. Enumerable.Range(0, 3000).Select(i => (new CorpusDocument($"id-{i % 700}", $"text {i}", i % 3 == 0 ? "a" : "b", $"file-{i % 5}.jsonl:{i / 5 + 1}"), i % 3 == 0 ? 0 : 1))];

    private static string[] Kept(MetaDocumentSampler sampler) => [.. sampler.Candidates().Select(c => $"{c.SourceIndex} {c.Document.Location} {c.Key}")];

    [Fact]
    public void The_sample_does_not_depend_on_the_order_or_threads_that_offer()
    {
        var docs = Documents();
        int[] quotas = [40, 100];
        var inOrder = new MetaDocumentSampler(5, quotas);
        foreach (var (doc, source) in docs) inOrder.Offer(doc, source);
        string[] expected = Kept(inOrder);
        Assert.Equal(MetaDocumentSampler.CandidatesFor(40) + MetaDocumentSampler.CandidatesFor(100), expected.Length);

        for (int seed = 0; seed < 5; seed++)
        {
            var shuffled = docs.ToArray();
            new Random(seed).Shuffle(shuffled);
            var sampler = new MetaDocumentSampler(5, quotas);
            Parallel.ForEach(shuffled, new ParallelOptions { MaxDegreeOfParallelism = 4 }, x => sampler.Offer(x.Doc, x.Source));
            Assert.Equal(expected, Kept(sampler));
        }
    }

    [Fact]
    public void It_keeps_the_smallest_keys_then_ids_then_locations()
    {
        var docs = Documents();
        var sampler = new MetaDocumentSampler(9, [25, 0]);
        foreach (var (doc, source) in docs) sampler.Offer(doc, source);
        var expected = docs.Where(x => x.Source == 0)
            .Select(x => (Key: MetaDocumentSampler.KeyOf(9, x.Doc.Id), x.Doc.Id, x.Doc.Location))
            .OrderBy(x => x.Key).ThenBy(x => x.Id, StringComparer.Ordinal).ThenBy(x => x.Location, StringComparer.Ordinal)
            .Take(MetaDocumentSampler.CandidatesFor(25)).Select(x => $"0 {x.Location} {x.Key}");
        Assert.Equal(expected, Kept(sampler));
        // Repeated ids do occur among those kept (equal keys), so the tie rule was exercised.
        var kept = sampler.Candidates();
        Assert.True(kept.Count > kept.Select(c => c.Document.Id).Distinct().Count());
    }

    [Fact]
    public void Keys_hash_the_ids_utf8_bytes_with_the_seed()
    {
        foreach (string id in new[] { "", "doc-1", "ünïcödé 🐋", new string('x', 5000) })
            Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(id), 42), MetaDocumentSampler.KeyOf(42, id));
    }

    /// <summary>
    /// A corpus of several files, with repeated ids and bad records (skipped), gives the same dataset and the same
    /// stats.json (read report and its first skips included) whether its files are read one by one or side by side;
    /// with bad records failing the run, the error is the first bad file's, as one reader would report it.
    /// </summary>
    [Fact]
    public void Files_read_side_by_side_give_what_one_reader_gives()
    {
        string dir = TempDir.Create();
        string corpus = Path.Combine(dir, "corpus");
        Directory.CreateDirectory(corpus);
        var texts = SampleCorpus.Documents.Take(120).ToList();
        for (int f = 0; f < 5; f++)
        {
            var lines = new List<string>();
            for (int i = f; i < texts.Count; i += 5)
            {
                lines.Add(JsonSerializer.Serialize(new { id = $"doc-{i % 50}", text = texts[i] }));
                if (i % 7 == 0) lines.Add($"{{\"id\": \"bad-{f}-{i}\", \"text\": ");
            }
            File.WriteAllLines(Path.Combine(corpus, $"part-{f}.jsonl"), lines);
        }
        var skip = CorpusBadRecordAction.Skip;
        string index = Path.Combine(dir, "index");
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Bm25, Corpus = new() { Inputs = [corpus], OnBadRecord = skip }, OutDir = index });
        SynthesisStage.Options Options(int threads, CorpusBadRecordAction read, string name) => new()
        {
            IndexDir = index,
            Corpus = new() { Inputs = [corpus], OnBadRecord = read },
            OutDir = Path.Combine(dir, name),
            Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 12, DocumentsPerPart = 5 },
            Execution = new() { Threads = threads },
        };
        var one = SynthesisStage.Run(Options(1, skip, "one"));
        var side = SynthesisStage.Run(Options(3, skip, "side"));
        Assert.True(one.Report.SkippedTotal > 0);
        Assert.Equal(one.Report.Summary(20), side.Report.Summary(20));
        foreach (string file in Directory.GetFiles(Path.Combine(dir, "one")).Select(Path.GetFileName).Where(f => f != OutputFolder.MarkerFile)!)
            Assert.True(File.ReadAllBytes(Path.Combine(dir, "one", file!)).SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "side", file!))), file);

        var fail = CorpusBadRecordAction.Fail;
        var first = Assert.Throws<CorpusFormatException>(() => SynthesisStage.Run(Options(1, fail, "fail-one")));
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var parallel = Assert.Throws<CorpusFormatException>(() => SynthesisStage.Run(Options(3, fail, $"fail-side-{attempt}")));
            Assert.Equal(first.Message, parallel.Message);
        }
        Assert.Contains("part-0.jsonl", first.Message);
    }
}
