using System.Buffers.Binary;
using NExtLong.Index;
using NExtLong.Pipeline;
using NExtLong.Retrieval;
using NExtLong.Synthesis;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

/// <summary>One bm25 index of the sample corpus (no embedding: quick) for the token cache tests.</summary>
public sealed class TokenCacheIndexFixture : IDisposable
{
    public TokenCacheIndexFixture()
    {
        Root = TempDir.Create();
        IndexDir = Path.Combine(Root, "index");
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Bm25, Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] }, OutDir = IndexDir });
    }

    public string Root { get; }

    public string IndexDir { get; }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>
/// The chunk token cache (issue 17 part 1): the additivity at joins it relies on, per tokenizer, on hostile text; the
/// fallback where a tokenizer lacks it (SentencePiece); the same output with and without it; stale and damaged files.
/// </summary>
public class ChunkTokenCacheTests(TokenCacheIndexFixture fixture) : IClassFixture<TokenCacheIndexFixture>
{
    private static readonly string[] Separators = ["\n\n", "\n", "\r\n", "", " ", ".\n", "\n\n---\n\n", "\t"];

    /// <summary>Starts of a piece that try every branch of the regexes after a line break.</summary>
    private static readonly string[] HostileStarts =
        ["/", "//x", "/\n", "\n", " ", "\u00A0x", "\u2028", "'s", "'ll", "’s", "x", "X", "1", "1234", "😀", "𝔢x", "\u0301a", ".", "...\n", "-\n\n", "\uDC00", "\uD800", "日本", "ſ", "\r", "\t",
         " /x", "  x", " \n", "\t\r\n", " 's", " \u00A0'll", "\u2028 x", " 1234", " .\n", "   \u3000日本", " \u0301a", " \uD800"];

    [Theory]
    [MemberData(nameof(TargetTokenizerTests.TiktokenSpecs), MemberType = typeof(TargetTokenizerTests))]
    public void Ids_add_up_at_every_join_boundary_on_hostile_text(string spec)
    {
        var tokenizer = TargetTokenizerTests.Get(spec);
        Assert.True(tokenizer.SplitsAtJoins);
        var random = new Random(17);
        int checkedJoins = 0, afterBreak = 0, wholeTextOnly = 0;
        void Check(string text, int s)
        {
            if (!ExactTruncation.IsJoinBoundary(text, s))
            {
                // A join that only splits the whole text (a piece that starts with a space after a line break).
                if (!ExactTruncation.SplitsWholeText(text, s)) return;
                wholeTextOnly++;
            }
            checkedJoins++;
            if (text[s - 1] is '\r' or '\n') afterBreak++;
            int[] whole = [.. tokenizer.EncodeToIds(text)];
            int[] split = [.. tokenizer.EncodeToIds(text[..s]), .. tokenizer.EncodeToIds(text[s..])];
            Assert.True(whole.SequenceEqual(split), $"{spec}: ids do not add up at {s} of {Show(text, s)}");
        }

        // Pieces joined as the assembler joins them: random mixed-script pieces, hostile starts, every separator.
        var pieces = UnicodeTestTexts.Random(150_000, seed: 23);
        for (int i = 0; i + 1 < pieces.Count; i++)
        {
            string sep = Separators[random.Next(Separators.Length)];
            string a = pieces[i] + sep;
            string b = random.Next(3) == 0 ? HostileStarts[random.Next(HostileStarts.Length)] + pieces[i + 1] : pieces[i + 1];
            Check(a + b, a.Length);
        }
        // Every code point after a line break (UnicodeTestTexts.Contexts puts each after "2\n" and ".\n"), every 16th
        // code point of every category, in a window around the join: a join's additivity depends on nearby text only.
        foreach ((_, string text) in UnicodeTestTexts.ByCategory(stride: 16))
        {
            for (int s = 1; s < text.Length; s++)
            {
                if (text[s - 1] != '\n' || !ExactTruncation.SplitsWholeText(text, s)) continue;
                int from = Math.Max(0, s - 40), to = Math.Min(text.Length, s + 40);
                while (from > 0 && char.IsLowSurrogate(text[from])) from--;
                while (to < text.Length && char.IsLowSurrogate(text[to])) to++;
                Check(text[from..to], s - from);
            }
        }
        Assert.True(checkedJoins > 10_000 && afterBreak > 5_000 && wholeTextOnly > 1_000,
            $"{checkedJoins} joins checked, {afterBreak} after a line break, {wholeTextOnly} splitting the whole text only");
    }

    [Fact]
    public void Not_a_join_boundary_where_the_regexes_reach_across()
    {
        // o200k's punctuation run takes a '/' after line breaks; whitespace runs join the separator's; a space
        // separator becomes the next word's leading space.
        Assert.False(ExactTruncation.IsJoinBoundary(".\n\n/usr", 3));
        Assert.False(ExactTruncation.IsJoinBoundary("a\n\n\nb", 3));
        Assert.False(ExactTruncation.IsJoinBoundary("a\n\n b", 3));
        Assert.False(ExactTruncation.IsJoinBoundary("a. b", 3));
        Assert.True(ExactTruncation.IsJoinBoundary("a.\n\nb", 4));
        Assert.True(ExactTruncation.IsJoinBoundary("a.\n\n'sb", 4));
        var o200k = TargetTokenizerTests.Get("o200k_base");
        Assert.NotEqual(o200k.EncodeToIds(".\n\n/usr"), [.. o200k.EncodeToIds(".\n\n"), .. o200k.EncodeToIds("/usr")]);
        // A space after the break splits the whole text, not a prefix ending in the whitespace (\s++$ takes it across).
        Assert.True(ExactTruncation.SplitsWholeText("a\n\n b", 3));
        Assert.True(ExactTruncation.SplitsWholeText("a.\n\n\t /usr", 4));
        Assert.False(ExactTruncation.SplitsWholeText("a\n\n \nb", 3));
        Assert.False(ExactTruncation.SplitsWholeText("a\n\n  ", 3));
        Assert.False(ExactTruncation.SplitsWholeText(".\n/on", 2));
    }

    [Fact]
    public void SentencePiece_ids_do_not_add_up_at_joins_so_it_gets_no_cache_and_the_cut_encodes_the_text()
    {
        var tokenizer = TargetTokenizerTests.Get("sentencepiece-file");
        // Encoded alone, a piece gets the normalizer's dummy "▁" prefix, which it lacks after a word: at joins where
        // the tiktoken family adds up, SentencePiece does not (after a line break the "▁" stands for it, and may agree).
        (string A, string B)[] joins = [("word", ", next"), ("end", ". Next one"), ("x", "(y)"), ("日本", "。次"), ("42", "% of"), ("a.\n\n", "Word"), ("a\n", "-b")];
        var failing = joins.Where(j => ExactTruncation.IsJoinBoundary(j.A + j.B, j.A.Length)
            && !tokenizer.EncodeToIds(j.A + j.B).SequenceEqual([.. tokenizer.EncodeToIds(j.A), .. tokenizer.EncodeToIds(j.B)])).ToList();
        Assert.True(failing.Count >= 3, $"ids added up at {joins.Length - failing.Count} of {joins.Length} joins");
        Assert.False(tokenizer.SplitsAtJoins);
        Assert.Null(tokenizer.CacheIdentity);
        using var index = ChunkIndex.Open(fixture.IndexDir);
        Assert.Null(ChunkTokenCache.Open(index, tokenizer, "\n\n", TokenCacheMode.Build, 2));
    }

    [Theory]
    [InlineData("cl100k_base", "\n\n")]
    [InlineData("o200k_base", "\n\n---\n\n")]
    [InlineData("llama3", "")]
    public void E_read_from_the_cache_is_the_E_the_tokenizer_counts(string spec, string separator)
    {
        var tokenizer = TargetTokenizerTests.Get(spec);
        using var index = ChunkIndex.Open(fixture.IndexDir);
        using var cache = ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Build, 2, TestContext.Current.CancellationToken);
        Assert.NotNull(cache);
        var options = new SynthesisOptions { Separator = separator, EncodingRateSampleChars = 300_000 };
        using var counted = new Synthesizer(index, null, tokenizer, options, 2, null, TestContext.Current.CancellationToken);
        using var read = new Synthesizer(index, null, tokenizer, options, 1, cache, TestContext.Current.CancellationToken);
        var e = counted.MeasureEncodingRate(TestContext.Current.CancellationToken);
        Assert.Equal(e, read.MeasureEncodingRate(TestContext.Current.CancellationToken));
        Assert.InRange(e.Chars, 300_000, 300_000 + 2 * 2048 + separator.Length);
        Assert.InRange(e.CharsPerToken, 2.5, 6.5);
        // E's characters are counted on the chunks' UTF-8, as TextLength counts their text.
        for (long id = 0; id < index.ChunkCount; id++)
            Assert.Equal(TextLength.Of(index.ChunkText(id)), index.ChunkScalarCount(id));
    }

    public static TheoryData<string> AllSpecs => new("cl100k_base", "o200k_base", "tiktoken-file", "llama3", "sentencepiece-file");

    [Theory]
    [MemberData(nameof(AllSpecs))]
    public void Synthesis_with_the_cache_writes_the_bytes_it_writes_without(string spec)
    {
        var tokenizer = TargetTokenizerTests.Get(spec);
        string root = TempDir.Create();
        try
        {
            string Run(TokenCacheMode mode, int threads)
            {
                string outDir = Path.Combine(root, $"{mode}-{threads}");
                var outcome = SynthesisStage.Run(new SynthesisStage.Options
                {
                    IndexDir = fixture.IndexDir,
                    Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] },
                    OutDir = outDir,
                    Tokenizer = tokenizer.Name,
                    Output = new() { Formats = NExtLong.Output.DatasetWriterFactory.ParseFormats(["jsonl.zst,mds,megatron"]) },
                    Synthesis = new SynthesisOptions { NumSamples = 6, TargetTokens = 6000, DocumentsPerPart = 4 },
                    Execution = new() { Threads = threads },
                    TokenCache = mode,
                }, ct: TestContext.Current.CancellationToken);
                Assert.Equal(6, outcome.Stats!.DocumentsWritten);
                return outDir;
            }
            string without = Run(TokenCacheMode.Off, 2);
            string built = Run(TokenCacheMode.Build, 1);
            string used = Run(TokenCacheMode.Use, 2);
            string cacheName = tokenizer.CacheIdentity is { } identity ? ChunkTokenCache.FileName(ChunkTokenCache.TokenizerKey(identity, "\n\n")) : "";
            Assert.Equal(tokenizer.SplitsAtJoins, File.Exists(Path.Combine(fixture.IndexDir, cacheName)));
            foreach (string other in new[] { built, used })
            {
                var files = Directory.GetFiles(without, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(without, f)).Order().ToList();
                Assert.Equal(files, Directory.GetFiles(other, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(other, f)).Order());
                foreach (string file in files.Where(f => Path.GetFileName(f) != SynthesisStage.StatsFile))
                    Assert.True(File.ReadAllBytes(Path.Combine(without, file)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(other, file))), $"{spec}: {file} differs");
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Auto_builds_the_cache_only_when_the_run_cuts_more_tokens_than_the_index_holds()
    {
        string root = TempDir.Create();
        try
        {
            // A small index, so that a run can plan more tokens than it holds.
            string corpus = Path.Combine(root, "docs.jsonl");
            using (var gz = new System.IO.Compression.GZipStream(File.OpenRead(SampleIndexFixture.SamplePath), System.IO.Compression.CompressionMode.Decompress))
            using (var reader = new StreamReader(gz))
                File.WriteAllLines(corpus, Enumerable.Range(0, 40).Select(_ => reader.ReadLine()!));
            string indexDir = Path.Combine(root, "index");
            IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Bm25, Corpus = new() { Inputs = [corpus] }, OutDir = indexDir });
            long estimate;
            using (var index = ChunkIndex.Open(indexDir)) estimate = ChunkTokenCache.EstimatedIndexTokens(index);
            bool Cached() => Directory.EnumerateFiles(indexDir).Any(f => ChunkTokenCache.IsCacheFile(Path.GetFileName(f)));
            void Run(int samples, int target) => SynthesisStage.Run(new SynthesisStage.Options
            {
                IndexDir = indexDir,
                Corpus = new() { Inputs = [corpus] },
                OutDir = Path.Combine(root, $"out-{samples}"),
                Synthesis = new SynthesisOptions { NumSamples = samples, TargetTokens = target },
                Execution = new() { Threads = 2 },
            }, ct: TestContext.Current.CancellationToken);
            Assert.Equal(TokenCacheMode.Auto, new SynthesisStage.Options { IndexDir = "i", Corpus = new() { Inputs = [corpus] }, OutDir = "o" }.TokenCache);
            Run(1, (int)(estimate / 2));
            Assert.False(Cached(), $"planned {estimate / 2} tokens of an index of about {estimate}: no cache");
            Run(2, (int)(estimate / 2 + 1));
            Assert.True(Cached(), $"planned {estimate + 2} tokens of an index of about {estimate}: a cache");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_stale_cache_is_refused_or_rebuilt_and_a_damaged_one_named()
    {
        var tokenizer = TargetTokenizerTests.Get("cl100k_base");
        const string separator = "\n\n# stale test\n";  // a cache of its own, apart from the other tests'
        using var index = ChunkIndex.Open(fixture.IndexDir);
        string path;
        byte[] good;
        using (var cache = ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Build, 2)!)
        {
            path = cache.Path;
            Assert.True(OutputFolder.Owns(OutputKind.Index, Path.GetFileName(path)));
            long chunk = index.ChunkCount / 2;
            Assert.Equal(tokenizer.EncodeToIds(index.ChunkText(chunk) + separator), cache.Ids(chunk).ToArray());
        }
        good = File.ReadAllBytes(path);

        // Made for another build of the index (its index key differs): Use ignores it, Build makes it again.
        byte[] stale = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(stale.AsSpan(32), BinaryPrimitives.ReadUInt64LittleEndian(stale.AsSpan(32)) ^ 1);
        File.WriteAllBytes(path, stale);
        Assert.Null(ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Use, 2));
        Assert.Null(ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Off, 2));
        using (ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Build, 2)) { }
        Assert.Equal(good, File.ReadAllBytes(path));

        // A flipped id: the checksum catches it; Use names the file and the fix, Build makes it again.
        byte[] damaged = (byte[])good.Clone();
        damaged[^3] ^= 0x40;
        File.WriteAllBytes(path, damaged);
        var error = Assert.Throws<InvalidDataException>(() => ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Use, 2));
        Assert.Contains(path, error.Message);
        Assert.Contains("--token-cache build", error.Message);
        Assert.DoesNotContain('\n', error.Message);
        using (ChunkTokenCache.Open(index, tokenizer, separator, TokenCacheMode.Build, 2)) { }
        Assert.Equal(good, File.ReadAllBytes(path));
        File.Delete(path);
    }

    private static string Show(string text, int s) => Escape(text[Math.Max(0, s - 20)..s]) + " | " + Escape(text[s..Math.Min(text.Length, s + 20)]);

    private static string Escape(string text) => string.Concat(text.Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\u{(int)c:X4}"));
}
