using System.Text.Json.Nodes;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;

namespace NExtLong.Tests;

/// <summary>
/// The retriever's settings as options: the BM25 analyzer on `index` (recorded in the manifest, a reused index with
/// other settings refused by name), BM25 scoring on `synthesize` (applied at search time, recorded in config.json),
/// and `--hybrid rrf|rerank`.
/// </summary>
public class RetrieverOptionTests
{
    [Fact]
    public void Bm25_analyzer_options_reach_the_manifest_and_a_differing_index_is_refused_by_name_never_reused()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 1, documentsPerFile: 60);
        string index = Path.Combine(root, "index");
        var built = CliProcess.Run("index", "--input", corpus, "--out", index, "--bm25-stemming", "--bm25-stop-words", "false");
        Assert.True(built.ExitCode == 0, built.Stderr);
        var lexical = JsonNode.Parse(File.ReadAllText(Path.Combine(index, "manifest.json")))!["lexical"]!;
        Assert.True(lexical["stemming"]!.GetValue<bool>());
        Assert.False(lexical["stop_words"]!.GetValue<bool>());
        using (var opened = ChunkIndex.Open(index))
            Assert.Equal("words,lowercase,stem-en-minimal", opened.Lexical!.Settings.Analyzer);

        var same = CliProcess.Run("index", "--input", corpus, "--out", index, "--bm25-stemming", "--bm25-stop-words", "false");
        Assert.True(same.ExitCode == 0, same.Stderr);
        Assert.Contains("up to date", same.Stderr);
        // Only what happened: no progress line of chunks indexed before "reused".
        Assert.DoesNotContain("chunks indexed", same.Stderr);
        // The defaults differ from what the index was built with: refused, naming the difference, and left as it was.
        byte[] before = File.ReadAllBytes(Path.Combine(index, ChunkIndexFiles.Lexical));
        var other = CliProcess.Run("index", "--input", corpus, "--out", index);
        Assert.Equal(1, other.ExitCode);
        Assert.True(other.Stderr.Contains("BM25 analyzer: words,lowercase,stem-en-minimal → words,lowercase,stop-en); pass --overwrite"), other.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(index, ChunkIndexFiles.Lexical)));
        var rebuilt = CliProcess.Run("index", "--input", corpus, "--out", index, "--overwrite");
        Assert.True(rebuilt.ExitCode == 0, rebuilt.Stderr);
        Assert.NotEqual(before, File.ReadAllBytes(Path.Combine(index, ChunkIndexFiles.Lexical)));

        // A rank finds the merged index complete only when its settings match too.
        var rank = new IndexStage.Options
        {
            Corpus = new() { Inputs = [corpus] }, OutDir = index, Lexical = new Bm25Settings { Stemming = true },
            Execution = new() { Rank = new RankAssignment(0, 2), Threads = 1 },
        };
        Assert.False(IndexStage.Run(rank).Reused);
        Assert.True(IndexStage.Run(rank with { Lexical = new Bm25Settings() }).Reused);

        var dense = CliProcess.Run("index", "--input", corpus, "--out", Path.Combine(root, "dense"), "--retriever", "dense", "--bm25-stemming");
        Assert.Equal(1, dense.ExitCode);
        Assert.Contains("--bm25-stemming", dense.Stderr);
        Assert.Contains("--retriever dense", dense.Stderr);
    }

    [Fact]
    public void Bm25_scoring_options_apply_at_search_time_are_recorded_in_config_and_checked()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 1, documentsPerFile: 120);
        string index = Path.Combine(root, "index");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = index, Retriever = RetrieverKind.Bm25 });
        byte[] manifest = File.ReadAllBytes(Path.Combine(index, "manifest.json"));
        string[] common = ["synthesize", "--index", index, "--input", corpus, "--target-tokens", "4096", "-n", "3"];
        string plain = Path.Combine(root, "plain"), tuned = Path.Combine(root, "tuned");
        var a = CliProcess.Run([.. common, "--out", plain]);
        Assert.True(a.ExitCode == 0, a.Stderr);
        var b = CliProcess.Run([.. common, "--out", tuned, "--bm25-k1", "2", "--bm25-b", "0.3", "--bm25-query-terms", "4", "--bm25-min-doc-freq", "3"]);
        Assert.True(b.ExitCode == 0, b.Stderr);
        // Not a rebuild: the index is untouched.
        Assert.Equal(manifest, File.ReadAllBytes(Path.Combine(index, "manifest.json")));
        var lexical = JsonNode.Parse(File.ReadAllText(Path.Combine(tuned, "config.json")))!["index"]!["lexical"]!;
        Assert.Equal(2.0, lexical["k1"]!.GetValue<double>(), 6);
        Assert.Equal(0.3, lexical["b"]!.GetValue<double>(), 6);
        Assert.Equal(4, lexical["query_terms"]!.GetValue<int>());
        Assert.Equal(3, lexical["min_doc_freq"]!.GetValue<int>());
        Assert.Equal(32, JsonNode.Parse(File.ReadAllText(Path.Combine(plain, "config.json")))!["index"]!["lexical"]!["query_terms"]!.GetValue<int>());
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(plain, "part-00000.jsonl.zst")), File.ReadAllBytes(Path.Combine(tuned, "part-00000.jsonl.zst")));
        // A dataset made with other scoring is not taken for this one.
        var again = CliProcess.Run([.. common, "--out", tuned, "--bm25-query-terms", "5"]);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("another configuration", again.Stderr);

        using var opened = ChunkIndex.Open(index);
        var view = opened.Lexical!.WithScoring(new Bm25Scoring { QueryTerms = 4, K1 = 2 });
        Assert.Equal(4, view.Settings.QueryTerms);
        Assert.Equal(opened.Lexical.Settings.Analyzer, view.Settings.Analyzer);
        Assert.Same(opened.Lexical, opened.Lexical.WithScoring(new Bm25Scoring()));

        foreach (var (args, flag, range) in new (string[], string, string)[]
                 {
                     (["--bm25-k1", "0"], "--bm25-k1", "(0, 100]"),
                     (["--bm25-b", "1.5"], "--bm25-b", "[0, 1]"),
                     (["--bm25-query-terms", "0"], "--bm25-query-terms", "[1, 1024]"),
                     (["--bm25-min-doc-freq", "0"], "--bm25-min-doc-freq", "at least 1"),
                     (["--retriever", "dense", "--bm25-k1", "1"], "--bm25-k1", "--retriever dense"),
                     (["--method", "knn", "--bm25-query-terms", "8"], "--bm25-query-terms", "--method knn"),
                 })
        {
            var refused = CliProcess.Run([.. common, "--out", Path.Combine(root, "refused"), .. args]);
            Assert.True(refused.ExitCode == 1, string.Join(' ', args) + ": " + refused.Stderr);
            Assert.Contains(flag, refused.Stderr);
            Assert.Contains(range, refused.Stderr);
        }
        Assert.False(Directory.Exists(Path.Combine(root, "refused")));
    }

    [Fact]
    public void Hybrid_rrf_and_rerank_both_make_valid_datasets_and_differ_as_each_is_defined()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 1, documentsPerFile: 150);
        string index = Path.Combine(root, "index");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = index, Retriever = RetrieverKind.Hybrid });

        // Retrieval: rerank returns BM25's candidates by descending cosine; rrf also takes dense-only candidates.
        using (var opened = ChunkIndex.Open(index))
        {
            int d = opened.Manifest.Dimension, k = 60, queries = 20, depth = Math.Max(HybridRetriever.MinDepth, 2 * k);
            var texts = new string[queries];
            var vectors = new float[queries * d];
            var ranges = new List<(long, long)>();
            for (int q = 0; q < queries; q++)
            {
                var doc = opened.Document(q * 7);
                texts[q] = opened.ChunkText(doc.FirstChunk);
                opened.ReadVector(doc.FirstChunk, vectors.AsSpan(q * d, d));
                ranges.Add((doc.FirstChunk, doc.FirstChunk + doc.ChunkCount));
            }
            (long[] Ids, float[] Scores) Search(IChunkRetriever retriever, int depth)
            {
                var ids = new long[queries * depth];
                var scores = new float[queries * depth];
                for (int q = 0; q < queries; q++)
                    retriever.Search(texts.AsSpan(q, 1), vectors.AsSpan(q * d, d), depth, new RangeAndSetExclusions([ranges[q]]), ids.AsSpan(q * depth, depth), scores.AsSpan(q * depth, depth));
                return (ids, scores);
            }
            var rerank = Search(ChunkRetrievers.Open(opened, RetrieverKind.Hybrid, HybridFusion.Rerank), k);
            var rrf = Search(ChunkRetrievers.Open(opened, RetrieverKind.Hybrid), k);
            var bm25 = Search(ChunkRetrievers.Open(opened, RetrieverKind.Bm25), depth);
            int outsideBm25 = 0;
            for (int q = 0; q < queries; q++)
            {
                var pool = bm25.Ids.AsSpan(q * depth, depth).ToArray().ToHashSet();
                for (int i = 0; i < k; i++)
                {
                    Assert.Contains(rerank.Ids[q * k + i], pool);
                    if (i > 0) Assert.True(rerank.Scores[q * k + i] <= rerank.Scores[q * k + i - 1], $"query {q}: rerank not by descending cosine");
                    if (!pool.Contains(rrf.Ids[q * k + i])) outsideBm25++;
                }
            }
            Assert.True(outsideBm25 > 0, "rrf never took a dense-only candidate");
            Assert.NotEqual(rerank.Ids, rrf.Ids);
        }

        string[] common = ["synthesize", "--index", index, "--input", corpus, "--target-tokens", "4096", "-n", "4", "--retriever", "hybrid"];
        string Dataset(string fusion)
        {
            string outDir = Path.Combine(root, fusion);
            var run = CliProcess.Run([.. common, "--out", outDir, "--hybrid", fusion]);
            Assert.True(run.ExitCode == 0, run.Stderr);
            Verified.IfComplete(outDir);
            Assert.Equal(fusion, JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")))!["hybrid_fusion"]!.GetValue<string>());
            return outDir;
        }
        string rrfDir = Dataset("rrf"), rerankDir = Dataset("rerank");
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(rrfDir, "part-00000.jsonl.zst")), File.ReadAllBytes(Path.Combine(rerankDir, "part-00000.jsonl.zst")));
        // The default is rrf: the same dataset as asking for it.
        string byDefault = Path.Combine(root, "default");
        var plain = CliProcess.Run([.. common, "--out", byDefault]);
        Assert.True(plain.ExitCode == 0, plain.Stderr);
        SplitSample.AssertSameTree(rrfDir, byDefault);

        foreach (var (args, fragment) in new (string[], string)[]
                 {
                     (["--hybrid", "max"], "rrf or rerank"),
                     (["--retriever", "bm25", "--hybrid", "rerank"], "--retriever bm25"),
                 })
        {
            var refused = CliProcess.Run([.. common.Where(a => a is not "--retriever" and not "hybrid"), "--out", Path.Combine(root, "refused"), .. args]);
            Assert.True(refused.ExitCode == 1, refused.Stderr);
            Assert.Contains("--hybrid", refused.Stderr);
            Assert.Contains(fragment, refused.Stderr);
        }
    }
}
