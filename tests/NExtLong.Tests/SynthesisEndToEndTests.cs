using System.Text.Json;
using NExtLong.Retrieval;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

public class SynthesisEndToEndTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private SynthesisStage.Outcome Synthesize(string outDir, int targetTokens, int samples, int threads = 2, string tokenizer = "cl100k_base")
        => SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] },
            OutDir = outDir,
            Tokenizer = tokenizer,
            Synthesis = new SynthesisOptions { TargetTokens = targetTokens, NumSamples = samples },
            Execution = new() { Threads = threads },
        });

    [Fact]
    public void Sample_corpus_gives_32_documents_of_exactly_131072_tokens_with_paper_composition()
    {
        string outDir = Path.Combine(sample.Root, "full");
        var outcome = Synthesize(outDir, 131_072, 32);
        Assert.Equal(32, outcome.Stats!.DocumentsWritten);
        var docs = DatasetReader.ReadDocuments(outDir);
        Assert.Equal(32, docs.Count);
        var tokenizer = TargetTokenizer.Load("cl100k_base");
        using var index = ChunkIndex.Open(sample.IndexDir);
        foreach (var doc in docs) CheckComposition(doc, index, tokenizer, 131_072, 0.999f);

        var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json"))).RootElement;
        Assert.Equal(32, stats.GetProperty("documents_written").GetInt32());
        double e = stats.GetProperty("encoding_rate").GetProperty("chars_per_token").GetDouble();
        Assert.InRange(e, 3.0, 6.0);
        Assert.True(stats.GetProperty("k").GetProperty("mean").GetDouble() >= 1);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "config.json"))).RootElement;
        Assert.Equal(131_072, config.GetProperty("target_tokens").GetInt32());
        Assert.Equal("cl100k_base", config.GetProperty("tokenizer").GetString());
    }

    internal static void CheckComposition(JsonElement doc, ChunkIndex index, TargetTokenizer tokenizer, int t, float nearDuplicate)
    {
        string text = doc.GetProperty("text").GetString()!;
        Assert.Equal(t, doc.GetProperty("num_tokens").GetInt32());
        Assert.Equal(t, tokenizer.CountTokens(text));
        string metaId = doc.GetProperty("meta_document").GetProperty("id").GetString()!;
        int k = doc.GetProperty("k").GetInt32();
        var spans = doc.GetProperty("spans").EnumerateArray().ToList();
        Assert.Equal("meta", spans[0].GetProperty("role").GetString());
        int tokenCursor = 0, metaChunk = -1, rank = 0;
        float lastSimilarity = float.PositiveInfinity;
        var used = new HashSet<long>();
        foreach (var (span, i) in spans.Select((s, i) => (s, i)))
        {
            Assert.Equal(tokenCursor, span.GetProperty("token_start").GetInt32());
            tokenCursor = span.GetProperty("token_end").GetInt32();
            Assert.True(tokenCursor > span.GetProperty("token_start").GetInt32() || i == spans.Count - 1);
            bool last = i == spans.Count - 1;
            if (span.GetProperty("truncated").GetBoolean()) Assert.True(last, "only the last span can be cut");
            string piece = DatasetReader.PythonSlice(text, span.GetProperty("char_start").GetInt32(), span.GetProperty("char_end").GetInt32());
            if (span.GetProperty("role").GetString() == "meta")
            {
                Assert.Equal(metaChunk + 1, span.GetProperty("meta_chunk").GetInt32());
                metaChunk++;
                // Every meta-chunk before the cut got all k of its negatives.
                if (metaChunk > 0) Assert.Equal(k, rank);
                rank = 0;
                lastSimilarity = float.PositiveInfinity;
                Assert.Equal(metaId, span.GetProperty("document").GetString());
                continue;
            }
            Assert.Equal(metaChunk, span.GetProperty("meta_chunk").GetInt32());
            Assert.Equal(++rank, span.GetProperty("rank").GetInt32());
            long chunkId = span.GetProperty("chunk_id").GetInt64();
            Assert.True(used.Add(chunkId), $"negative {chunkId} used twice in one document");
            var chunk = index.Chunk(chunkId);
            var source = index.Document(chunk.Document);
            Assert.NotEqual(metaId, source.Id);
            Assert.Equal(source.Id, span.GetProperty("document").GetString());
            string chunkText = index.ChunkText(chunkId);
            if (span.GetProperty("truncated").GetBoolean()) Assert.StartsWith(piece, chunkText);
            else Assert.Equal(chunkText, piece);
            float similarity = span.GetProperty("similarity").GetSingle();
            Assert.True(similarity <= nearDuplicate, $"similarity {similarity} is above the near-duplicate threshold");
            Assert.True(similarity <= lastSimilarity + 1e-6f, "negatives are not most similar first");
            lastSimilarity = similarity;
        }
        Assert.Equal(t, tokenCursor);
    }

    [Fact]
    public void Output_is_byte_identical_for_one_and_two_threads()
    {
        string one = Path.Combine(sample.Root, "threads1"), two = Path.Combine(sample.Root, "threads2");
        Synthesize(one, 16_384, 12, threads: 1);
        Synthesize(two, 16_384, 12, threads: 2);
        var files = Directory.GetFiles(one).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(two).Select(Path.GetFileName).Order().ToList());
        Assert.Contains("stats.json", files);
        foreach (var f in files) Assert.True(File.ReadAllBytes(Path.Combine(one, f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, f!))), $"{f} differs");
    }

    [Fact]
    public void Index_is_byte_identical_for_one_and_two_threads_and_reused_when_unchanged()
    {
        string one = Path.Combine(sample.Root, "index1"), two = Path.Combine(sample.Root, "index2");
        var first = IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = one, Execution = new() { Threads = 1 } });
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = two, Execution = new() { Threads = 2 } });
        Assert.False(first.Reused);
        foreach (var f in Directory.GetFiles(one).Select(Path.GetFileName))
            Assert.True(File.ReadAllBytes(Path.Combine(one, f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, f!))), $"{f} differs");
        Assert.True(IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = one }).Reused);
        var e = Assert.Throws<IOException>(() => IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = one, Chunking = new() { ChunkChars = 1024 } }));
        Assert.Contains("--overwrite", e.Message);
    }

    [Theory]
    [InlineData(NegativeSelection.TopK, 16384)]
    [InlineData(NegativeSelection.TopK, 131072)]
    [InlineData(NegativeSelection.TailK, 16384)]
    public void A_batch_searched_together_gives_each_candidate_what_it_gets_alone(NegativeSelection selection, int targetTokens)
    {
        // The dataset loop searches a batch's meta-chunks in one call (exact results are nested); every outcome
        // must still be the one the candidate gets on its own, document, counts and all.
        using var index = ChunkIndex.Open(sample.IndexDir);
        var options = new SynthesisOptions { TargetTokens = targetTokens, Selection = selection };
        using var synthesizer = new Synthesizer(index, NExtLong.Embedding.EmbedderFactory.Create(index.Manifest.Embedder), TargetTokenizer.Load("cl100k_base"), options, threads: 2);
        var documents = NExtLong.Corpus.CorpusReader.Read(NExtLong.Corpus.CorpusSource.Parse(SampleIndexFixture.SamplePath),
            new NExtLong.Corpus.CorpusReadOptions(), new NExtLong.Corpus.CorpusReadReport()).Where((_, i) => i % 97 == 0).Take(12).ToList();
        var candidates = documents.Select(d => new MetaDocumentSampler.Candidate(d, 0, MetaDocumentSampler.KeyOf(options.Seed, d.Id))).ToList();
        double e = synthesizer.MeasureEncodingRate().CharsPerToken;
        var together = synthesizer.SynthesizeAll(candidates, Enumerable.Range(0, candidates.Count).ToList(), e, TestContext.Current.CancellationToken);
        for (int i = 0; i < candidates.Count; i++)
        {
            var alone = synthesizer.Synthesize(candidates[i], e, TestContext.Current.CancellationToken);
            Assert.Equal(alone.DropReason, together[i].DropReason);
            Assert.Equal(alone.Document?.Text, together[i].Document?.Text);
            Assert.Equal(alone.Document?.FalseNegativesSkipped, together[i].Document?.FalseNegativesSkipped);
            Assert.Equal(alone.Document?.Spans.Select(s => (s.ChunkId, s.Similarity)), together[i].Document?.Spans.Select(s => (s.ChunkId, s.Similarity)));
        }
        Assert.Contains(together, o => o.Document is not null);
    }

    [Fact]
    public void Meta_document_chunks_are_found_by_id_and_excluded()
    {
        using var index = ChunkIndex.Open(sample.IndexDir);
        var doc = index.Document(100);
        Assert.True(index.TryFindDocument(doc.Id, out int found));
        Assert.Equal(100, found);
        Assert.False(index.TryFindDocument("no such document", out _));
        // Searching with a document's own first chunk, excluding its range, never returns it.
        var ids = new long[50];
        var scores = new float[50];
        index.Vectors.Search(QueryOf(index, doc.FirstChunk), 50, ids, scores,
            new SearchParameters { Exclusions = new RangeAndSetExclusions(doc.FirstChunk, doc.FirstChunk + doc.ChunkCount) });
        Assert.DoesNotContain(ids, id => id >= doc.FirstChunk && id < doc.FirstChunk + doc.ChunkCount);
    }

    private static float[] QueryOf(ChunkIndex index, long chunk)
    {
        var embedder = NExtLong.Embedding.EmbedderFactory.Create(index.Manifest.Embedder);
        var v = new float[embedder.Dimension];
        embedder.Embed([index.ChunkText(chunk)], v);
        return v;
    }

    [Fact]
    public void A_corpus_too_small_for_the_target_drops_and_counts_documents()
    {
        string dir = TempDir.Create();
        string corpus = Path.Combine(dir, "tiny.jsonl");
        File.WriteAllLines(corpus, Enumerable.Range(0, 6).Select(i => JsonSerializer.Serialize(new { id = $"d{i}", text = $"Document {i} talks about whales and ships and the sea. " + string.Concat(Enumerable.Repeat("More words here. ", 20)) })));
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [corpus] }, OutDir = Path.Combine(dir, "index") });
        var outcome = SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = Path.Combine(dir, "index"),
            Corpus = new() { Inputs = [corpus] },
            OutDir = Path.Combine(dir, "out"),
            Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 2 },
        });
        Assert.Equal(0, outcome.Stats!.DocumentsWritten);
        Assert.True(outcome.Stats.Dropped.GetValueOrDefault(DropReason.ShortIndexExhausted) >= 2);
        // Short of the request: the record is failed.json, never stats.json, which marks a dataset complete.
        Assert.False(File.Exists(Path.Combine(dir, "out", "stats.json")));
        Assert.True(File.Exists(Path.Combine(dir, "out", SynthesisStage.FailedFile)));
    }

    [Fact]
    public void Cancelled_index_build_leaves_no_index()
    {
        string dir = Path.Combine(sample.Root, "cancelled");
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => IndexStage.Run(
            new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = dir },
            (docs, chunks) => cts.Cancel(), cts.Token));
        Assert.False(ChunkIndex.Exists(dir));
        Assert.Contains("no index here", Assert.Throws<FileNotFoundException>(() => ChunkIndex.Open(dir)).Message);
    }

    [Fact]
    public void An_index_whose_manifest_records_bare_xxhash64_checksums_is_verified_by_them()
    {
        string dir = Path.Combine(sample.Root, "xxh64");
        foreach (var f in Directory.GetFiles(sample.IndexDir)) { Directory.CreateDirectory(dir); File.Copy(f, Path.Combine(dir, Path.GetFileName(f))); }
        string manifestPath = Path.Combine(dir, ChunkIndexFiles.Manifest);
        var manifest = IndexManifest.Read(manifestPath);
        Assert.All(manifest.FileChecksums.Values, v => Assert.StartsWith("xxh3:", v));
        // As indexes built before XxHash3 recorded them.
        var old = manifest with { FileChecksums = manifest.FileChecksums.ToDictionary(x => x.Key, x => FileChecksum.Of(Path.Combine(dir, x.Key))) };
        File.WriteAllText(manifestPath, JsonSerializer.Serialize(old, IndexManifest.Json));
        using (var opened = ChunkIndex.Open(dir, threads: 2)) Assert.Equal(manifest.Chunks, opened.ChunkCount);
        var path = Path.Combine(dir, ChunkIndexFiles.ChunkShingles);
        var bytes = File.ReadAllBytes(path);
        bytes[^9] ^= 0x04;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("chunks.shingles: checksum", Assert.Throws<InvalidDataException>(() => ChunkIndex.Open(dir, threads: 2)).Message);
    }

    [Fact]
    public void Corrupt_index_files_are_refused()
    {
        string dir = Path.Combine(sample.Root, "corrupt");
        foreach (var f in Directory.GetFiles(sample.IndexDir)) { Directory.CreateDirectory(dir); File.Copy(f, Path.Combine(dir, Path.GetFileName(f))); }
        var path = Path.Combine(dir, "chunks.text");
        var bytes = File.ReadAllBytes(path);
        bytes[1234] ^= 0x20;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => ChunkIndex.Open(dir)).Message);
        // Verified on several threads, the first differing file in file order is named, whichever thread ends first;
        // the files that give documents back are verified too.
        string gaps = Path.Combine(dir, ChunkIndexFiles.DocumentGaps);
        var gapBytes = File.ReadAllBytes(gaps);
        gapBytes[^1] ^= 0x01;
        File.WriteAllBytes(gaps, gapBytes);
        for (int threads = 1; threads <= 4; threads++)
            Assert.Contains("chunks.text: checksum", Assert.Throws<InvalidDataException>(() => ChunkIndex.Open(dir, threads: threads)).Message);
        File.Copy(Path.Combine(sample.IndexDir, "chunks.text"), path, overwrite: true);
        Assert.Contains("documents.gaps: checksum", Assert.Throws<InvalidDataException>(() => ChunkIndex.Open(dir, threads: 3)).Message);
        File.Copy(Path.Combine(sample.IndexDir, ChunkIndexFiles.DocumentGaps), gaps, overwrite: true);
        File.WriteAllBytes(Path.Combine(dir, "vectors.flat"), File.ReadAllBytes(Path.Combine(sample.IndexDir, "vectors.flat"))[..^4]);
        File.Copy(Path.Combine(sample.IndexDir, "chunks.text"), path, overwrite: true);
        Assert.Throws<InvalidDataException>(() => ChunkIndex.Open(dir));
    }
}
