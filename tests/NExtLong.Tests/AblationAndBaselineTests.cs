using System.Text.Json;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

public class AblationAndBaselineTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private (SynthesisStats Stats, List<JsonElement> Docs) Run(string name, SynthesisOptions options, int threads = 2)
    {
        string outDir = Path.Combine(sample.Root, name);
        var outcome = SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] },
            OutDir = outDir,
            Synthesis = options,
            Execution = new() { Overwrite = true, Threads = threads },
        });
        return (outcome.Stats!, DatasetReader.ReadDocuments(outDir));
    }

    private static double MeanSimilarity(SynthesisStats s) => s.SimilaritySum / s.Negatives;

    [Fact]
    public void Negative_selection_similarities_follow_section_5_3()
    {
        var common = new SynthesisOptions { TargetTokens = 16_384, NumSamples = 6 };
        double topk = MeanSimilarity(Run("sel-topk", common).Stats);
        double randomr = MeanSimilarity(Run("sel-randomr", common with { Selection = NegativeSelection.RandomR }).Stats);
        double tailk = MeanSimilarity(Run("sel-tailk", common with { Selection = NegativeSelection.TailK }).Stats);
        double randomd = MeanSimilarity(Run("sel-randomd", common with { Selection = NegativeSelection.RandomD }).Stats);
        // Figure 6: top-k > random from the retrieved > tail-k > random documents.
        Assert.True(topk > randomr, $"top-k {topk} should exceed random-R {randomr}");
        Assert.True(randomr > tailk, $"random-R {randomr} should exceed tail-k {tailk}");
        Assert.True(tailk > randomd, $"tail-k {tailk} should exceed random-D {randomd}");

        var (stats, docs) = Run("sel-selfrepeat", common with { Selection = NegativeSelection.SelfRepeat });
        Assert.Equal(1.0, MeanSimilarity(stats), 6);
        foreach (var doc in docs)
        {
            string text = doc.GetProperty("text").GetString()!;
            var spans = doc.GetProperty("spans").EnumerateArray().ToList();
            foreach (var repeat in spans.Where(s => s.GetProperty("role").GetString() == "repeat" && !s.GetProperty("truncated").GetBoolean()))
            {
                var meta = spans.First(s => s.GetProperty("role").GetString() == "meta" && s.GetProperty("meta_chunk").GetInt32() == repeat.GetProperty("meta_chunk").GetInt32());
                Assert.Equal(Slice(text, meta), Slice(text, repeat));
            }
        }
    }

    [Fact]
    public void Tail_k_takes_the_least_similar_candidates_in_ascending_order()
    {
        var (_, docs) = Run("sel-tailk-order", new SynthesisOptions { TargetTokens = 8192, NumSamples = 3, Selection = NegativeSelection.TailK });
        foreach (var doc in docs)
        {
            var sims = doc.GetProperty("spans").EnumerateArray()
                .Where(s => s.GetProperty("role").GetString() == "negative" && s.GetProperty("meta_chunk").GetInt32() == 0)
                .Select(s => s.GetProperty("similarity").GetDouble()).ToList();
            Assert.NotEmpty(sims);
            Assert.Equal(sims.Order().ToList(), sims);
        }
    }

    [Theory]
    [InlineData(MetaChunkPlacement.Head)]
    [InlineData(MetaChunkPlacement.Tail)]
    [InlineData(MetaChunkPlacement.Random)]
    public void Placement_puts_each_meta_chunk_where_asked(MetaChunkPlacement placement)
    {
        var (_, docs) = Run($"place-{placement}", new SynthesisOptions { TargetTokens = 16_384, NumSamples = 4, Placement = placement });
        int notFirst = 0;
        foreach (var doc in docs)
        {
            var spans = doc.GetProperty("spans").EnumerateArray().ToList();
            int lastGroup = spans.Last().GetProperty("meta_chunk").GetInt32();
            // The exact-length cut may fall inside the last group, before its meta-chunk; every earlier group is whole.
            foreach (var group in spans.GroupBy(s => s.GetProperty("meta_chunk").GetInt32()).Where(g => g.Key < lastGroup))
            {
                var roles = group.Select(s => s.GetProperty("role").GetString()).ToList();
                Assert.Equal(1, roles.Count(r => r == "meta"));
                int at = roles.IndexOf("meta");
                if (placement == MetaChunkPlacement.Head) Assert.Equal(0, at);
                if (placement == MetaChunkPlacement.Tail) Assert.Equal(roles.Count - 1, at);
                if (at != 0) notFirst++;
            }
        }
        if (placement == MetaChunkPlacement.Random) Assert.True(notFirst > 0, "random placement never moved a meta-chunk");
    }

    [Theory]
    [InlineData(SynthesisMethod.Standard)]
    [InlineData(SynthesisMethod.Knn)]
    [InlineData(SynthesisMethod.Iclm)]
    [InlineData(SynthesisMethod.Quest)]
    public void Baselines_concatenate_whole_distinct_documents_to_exactly_t(SynthesisMethod method)
    {
        var (stats, docs) = Run($"method-{method}", new SynthesisOptions { TargetTokens = 16_384, NumSamples = 5, Method = method });
        Assert.Equal(5, stats.DocumentsWritten);
        var tokenizer = TargetTokenizer.Load("cl100k_base");
        using var index = ChunkIndex.Open(sample.IndexDir);
        foreach (var doc in docs)
        {
            string text = doc.GetProperty("text").GetString()!;
            Assert.Equal(16_384, tokenizer.CountTokens(text));
            var spans = doc.GetProperty("spans").EnumerateArray().ToList();
            Assert.All(spans, s => Assert.Equal("document", s.GetProperty("role").GetString()));
            Assert.Equal(doc.GetProperty("meta_document").GetProperty("id").GetString(), spans[0].GetProperty("document").GetString());
            var ids = spans.Select(s => s.GetProperty("document").GetString()!).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            foreach (var span in spans.Where(s => !s.GetProperty("truncated").GetBoolean()))
            {
                Assert.True(index.TryFindDocument(span.GetProperty("document").GetString()!, out int d));
                Assert.Equal(index.PreparedText(d), Slice(text, span));
            }
            if (method == SynthesisMethod.Knn)
            {
                var sims = spans.Skip(1).Select(s => s.GetProperty("similarity").GetDouble()).ToList();
                Assert.Equal(sims.OrderDescending().ToList(), sims);
            }
        }
    }

    [Fact]
    public void Iclm_cuts_one_global_path_so_no_document_appears_twice_and_threads_do_not_matter()
    {
        var options = new SynthesisOptions { TargetTokens = 16_384, NumSamples = 12, Method = SynthesisMethod.Iclm };
        var (stats, docs) = Run("iclm-threads-1", options, threads: 1);
        Assert.Equal(12, stats.DocumentsWritten);
        var ids = docs.SelectMany(d => d.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("document").GetString()!)).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var (_, again) = Run("iclm-threads-2", options, threads: 2);
        Assert.Equal(docs.Select(d => d.GetRawText()), again.Select(d => d.GetRawText()));
        Assert.Equal(File.ReadAllBytes(Path.Combine(sample.Root, "iclm-threads-1", "stats.json")), File.ReadAllBytes(Path.Combine(sample.Root, "iclm-threads-2", "stats.json")));
    }

    [Fact]
    public void Iclm_walks_one_path_to_the_nearest_unvisited_neighbour_and_cuts_it_into_windows()
    {
        using var index = ChunkIndex.Open(sample.IndexDir);
        using var vectors = new DocumentVectors(index);
        var path = new IclmPath(index, vectors, seed: 42, threads: 2, targetTokens: 16_384, charsPerToken: 4.7, separator: "\n\n");
        // The windows, each reached through the document it is made for, laid end to end give the whole path.
        var windows = new List<ArraySegment<int>>();
        for (int doc = 0; doc < index.DocumentCount; doc++)
            if (path.WindowFor(doc, out _) is { } w) windows.Add(w.Documents);
        var walk = windows.OrderBy(w => w.Offset).SelectMany(w => w).ToList();
        Assert.Equal(path.Documents, walk.Count);
        Assert.Equal(walk.Count, walk.Distinct().Count());
        int withChunks = Enumerable.Range(0, index.DocumentCount).Count(d => index.Document(d).ChunkCount > 0);
        Assert.Equal(withChunks, path.Documents + path.DuplicatesDropped);
        Assert.True(windows.Count > 10, $"{windows.Count} windows");

        // From each document the walk steps to its nearest unvisited neighbour among its 9 nearest, when there is one:
        // the next document on the path, or one the filter then dropped (the path goes on from there).
        var position = new Dictionary<int, int>();
        for (int i = 0; i < walk.Count; i++) position[walk[i]] = i;
        bool Dropped(int doc) => index.Document(doc).ChunkCount > 0 && !position.ContainsKey(doc);
        var ids = new long[10];
        var scores = new float[10];
        int neighbourSteps = 0;
        for (int i = 0; i + 1 < walk.Count; i++)
        {
            vectors.Index.Search(vectors.Of(walk[i]), 10, ids, scores, new SearchParameters { MaxThreads = 1 });
            var nearest = ids.Where(id => id != walk[i]).Take(9).Select(id => (int)id).Where(d => index.Document(d).ChunkCount > 0).ToList();
            int next = nearest.FirstOrDefault(d => Dropped(d) || position[d] > i, -1);
            if (next < 0) continue; // all visited: a restart
            Assert.True(next == walk[i + 1] || Dropped(next), $"step {i}: went to {walk[i + 1]}, not to the nearest unvisited neighbour {next}");
            if (next == walk[i + 1]) neighbourSteps++;
        }
        // A walk that ignored the graph would step to a neighbour about 9 times in 1,942.
        Assert.True(neighbourSteps > walk.Count / 2, $"only {neighbourSteps} of {walk.Count - 1} steps go to a nearest neighbour");
    }

    [Fact]
    public void Iclm_drops_a_document_whose_head_repeats_the_previous_one_on_the_path()
    {
        // A copy under another id is its original's nearest neighbour, so the walk takes them one after the other and
        // ICLM's filter (first 100 characters, 3-gram Jaccard > 0.85) drops the second.
        string dir = TempDir.Create();
        var docs = SampleCorpus.Documents.Take(150).ToList();
        var lines = docs.Select((t, i) => JsonSerializer.Serialize(new { id = $"doc-{i}", text = t })).Append(JsonSerializer.Serialize(new { id = "copy-of-7", text = docs[7] }));
        string corpus = Path.Combine(dir, "corpus.jsonl");
        File.WriteAllLines(corpus, lines);
        string indexDir = Path.Combine(dir, "index");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = indexDir, Retriever = NExtLong.Retrieval.RetrieverKind.Dense });
        using var index = ChunkIndex.Open(indexDir);
        using var vectors = new DocumentVectors(index);
        var path = new IclmPath(index, vectors, seed: 42, threads: 2, targetTokens: 4096, charsPerToken: 4.7, separator: "\n\n");
        Assert.True(index.TryFindDocument("doc-7", out int original));
        Assert.True(index.TryFindDocument("copy-of-7", out int copy));
        bool OnPath(int doc) { path.WindowFor(doc, out var whyNot); return whyNot != DropReason.IclmNotOnPath; }
        Assert.True(OnPath(original) ^ OnPath(copy), "exactly one of the two copies stays on the path");
        Assert.True(path.DuplicatesDropped >= 1);
        int withChunks = Enumerable.Range(0, index.DocumentCount).Count(d => index.Document(d).ChunkCount > 0);
        Assert.Equal(withChunks, path.Documents + path.DuplicatesDropped);
    }

    [Fact]
    public void Knn_documents_are_more_similar_than_standard_ones()
    {
        var options = new SynthesisOptions { TargetTokens = 16_384, NumSamples = 5 };
        double knn = MeanSimilarity(Run("cmp-knn", options with { Method = SynthesisMethod.Knn }).Stats);
        double standard = MeanSimilarity(Run("cmp-standard", options with { Method = SynthesisMethod.Standard }).Stats);
        Assert.True(knn > standard, $"knn {knn} should exceed standard {standard}");
    }

    [Fact]
    public void Rake_scores_multi_word_phrases_above_single_words()
    {
        var keywords = RakeKeywordExtractor.Extract("Compatibility of systems of linear constraints over the set of natural numbers. Criteria of compatibility of a system of linear Diophantine equations, strict inequations, and nonstrict inequations are considered.", minimumScore: 0);
        Assert.Equal("linear diophantine equations", keywords[0].Phrase);
        // linear: degree 5 / frequency 2; diophantine and equations: 3 / 1 each.
        Assert.Equal(8.5, keywords[0].Score, 6);
        Assert.DoesNotContain(keywords, k => k.Phrase.Split(' ').Any(w => w is "of" or "the" or "and"));
    }

    private static string Slice(string text, JsonElement span)
        => DatasetReader.PythonSlice(text, span.GetProperty("char_start").GetInt32(), span.GetProperty("char_end").GetInt32());
}
