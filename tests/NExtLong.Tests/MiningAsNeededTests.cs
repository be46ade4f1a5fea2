using NExtLong.Chunking;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>
/// Synthesis mines a meta-document's first meta-chunks, and the rest only when the cut needs them. These tests hold
/// that to what it promises on real documents of the sample (a BM25 index of 300 of them, cl100k): mining the first
/// q meta-chunks and then the rest gives the lists mining all of them gives, and whenever the interleaving of the
/// first q is called decided, its cut is the whole interleaving's — text, spans and ids — with and without a token
/// cache; and the cut is decided early often enough for the shortcut to matter.
/// </summary>
public class MiningAsNeededTests
{
    // A space joins pieces so that tokens run across the joins (" word" is one cl100k token): segments then span
    // pieces, and a cut in the last one must wait for the pieces after it.
    [Theory]
    [InlineData(false, "\n\n")]
    [InlineData(true, "\n\n")]
    [InlineData(false, " ")]
    [InlineData(true, " ")]
    public void The_first_meta_chunks_decide_the_cut_only_when_the_rest_cannot_change_it(bool tokenCache, string separator)
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 1, documentsPerFile: 300);
        string dir = Path.Combine(root, "index");
        IndexStage.Run(new IndexStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = dir, Retriever = RetrieverKind.Bm25 });
        using var index = ChunkIndex.Open(dir);
        var tokenizer = TargetTokenizerTests.Get("cl100k_base");
        using var cache = tokenCache ? ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Build, 2) : null;
        Assert.Equal(tokenCache, cache is not null);
        var miner = new NegativeMiner(index, new Bm25Retriever(index.Lexical!), 0.999f);
        var assembler = new LongDocumentAssembler(index, tokenizer, separator, cache);
        var chunker = new ParagraphChunker(index.Manifest.ChunkChars, Enum.Parse<ChunkingMode>(index.Manifest.ChunkingMode));

        int decidedEarly = 0, documents = 0;
        for (int d = 0; d < index.DocumentCount && documents < 12; d++)
        {
            var record = index.Document(d);
            if (record.ChunkCount < 3) continue;
            documents++;
            string text = chunker.Prepare(index.PreparedText(d));
            var metaChunks = chunker.Chunk(text).Where(c => !c.Of(text).IsWhiteSpace()).ToList();
            Assert.Equal(record.ChunkCount, metaChunks.Count);
            string[] texts = [.. metaChunks.Select(c => c.Of(text).ToString())];
            long[] ids = [.. Enumerable.Range(0, metaChunks.Count).Select(i => record.FirstChunk + i)];
            var own = new List<(long, long)> { (record.FirstChunk, record.FirstChunk + record.ChunkCount) };
            var guard = new FalseNegativeGuard(index, 0.5, text, metaChunks);
            const int k = 5;
            var all = new List<List<MinedNegative>>();
            var skippedAll = miner.Mine(texts, [], k, own, all, guard: guard);
            // A target the whole interleaving passes about two thirds of the way through.
            var pieces = new List<string>();
            for (int i = 0; i < texts.Length; i++)
            {
                pieces.Add(texts[i]);
                pieces.AddRange(all[i].Select(n => index.ChunkText(n.ChunkId)));
            }
            int target = tokenizer.CountTokens(string.Join(separator, pieces)) * 2 / 3;
            var whole = assembler.Assemble(text, metaChunks, record.Id, "s", all, target, metaChunkIds: ids);
            for (int q = 1; q <= metaChunks.Count; q++)
            {
                var some = new List<List<MinedNegative>>();
                var skipped = miner.Mine(texts, [], k, own, some, guard: guard, through: q);
                Assert.Equal(q, some.Count);
                Assert.Equal(all.Take(q).SelectMany(l => l), some.SelectMany(l => l));
                var cut = assembler.Assemble(text, metaChunks, record.Id, "s", some, target, MetaChunkPlacement.Head, null, ids, out bool decided);
                if (decided)
                {
                    Assert.Equal(whole is null, cut is null);
                    if (whole is { } w && cut is { } c)
                    {
                        Assert.Equal(w.Text, c.Text);
                        Assert.Equal(w.Spans, c.Spans);
                        Assert.Equal(w.TokenIds, c.TokenIds);
                    }
                    if (q < metaChunks.Count) decidedEarly++;
                }
                else
                {
                    Assert.Null(cut);
                }
                // Resuming gives what mining them all at once gave.
                skipped += miner.Mine(texts, [], k, own, some, guard: guard, resume: true);
                Assert.Equal(all.SelectMany(l => l), some.SelectMany(l => l));
                Assert.Equal(skippedAll, skipped);
            }
        }
        Assert.Equal(12, documents);
        if (separator == "\n\n") Assert.True(decidedEarly >= 12, $"decided before the last meta-chunk {decidedEarly} times");
    }
}
