using System.Collections.Concurrent;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

public class TargetTokenizerTests
{
    private const string TiktokenFile = "cl100k-first4096.tiktoken";
    private const string SentencePieceModel = "test-unigram-2k.model";

    private static readonly ConcurrentDictionary<string, Lazy<TargetTokenizer>> Loaded = new();

    /// <summary>Specs the generic truncation tests run on; llama3 has its own tests (it needs the fetched cache).</summary>
    public static TheoryData<string> Specs => new("cl100k_base", "o200k_base", "tiktoken-file", "sentencepiece-file");

    public static TheoryData<string> TiktokenSpecs => new("cl100k_base", "o200k_base", "tiktoken-file", "llama3");

    /// <summary>
    /// Calls from many threads at once (each lent an encoder of its own, or a new one): every result is the sequential
    /// one, whichever encoder's cache served it, and encoding never builds the library's instance.
    /// </summary>
    [Fact]
    public void Concurrent_calls_encode_as_one_thread_does_without_the_librarys_instance()
    {
        var tokenizer = TargetTokenizer.Load("cl100k_base");
        string[] texts = [.. Enumerable.Range(0, 48).Select(i => string.Join(' ', Enumerable.Range(i, 40 + i).Select(w => $"word{w % 97} naïve 数字{w}")))];
        int[][] expected = [.. texts.Select(t => tokenizer.EncodeToIds(t).ToArray())];
        var results = new int[texts.Length * 4][];
        var work = Task.Run(() => Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            results[i] = i % 2 == 0
                ? [.. tokenizer.EncodeToIds(texts[i % texts.Length])]
                : [.. Enumerable.Repeat(tokenizer.CountTokens(texts[i % texts.Length]), 1)]));
        Assert.True(work.Wait(TimeSpan.FromMinutes(2)), "concurrent calls did not finish");
        for (int i = 0; i < results.Length; i++)
        {
            int[] want = expected[i % texts.Length];
            Assert.Equal(i % 2 == 0 ? want : [want.Length], results[i]);
        }
        Assert.False(tokenizer.InnerBuilt);
        Assert.Equal(expected[5], tokenizer.Inner.EncodeToIds(texts[5]));
        Assert.True(tokenizer.InnerBuilt);
    }

    [Fact]
    public void Unknown_spec_throws_listing_the_accepted_forms()
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => TargetTokenizer.Load("gpt2"));
        foreach (string form in new[] { "gpt2", "cl100k_base", "o200k_base", "llama3", "tiktoken:", "sentencepiece:", ".model" })
            Assert.Contains(form, error.Message);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal("Tokenizer", Assert.IsType<OptionValidationException>(error).Property);
    }

    [Theory]
    [InlineData("tiktoken:{0}/absent.tiktoken")]
    [InlineData("sentencepiece:{0}/absent.model")]
    [InlineData("{0}/absent.tiktoken")]
    [InlineData("{0}/tokenizer.model")]
    public void Missing_file_throws_naming_it(string specFormat)
    {
        string dir = Path.Combine(Path.GetTempPath(), "nextlong-missing-" + Guid.NewGuid().ToString("N"));
        string spec = string.Format(specFormat, dir);
        var error = Assert.Throws<FileNotFoundException>(() => TargetTokenizer.Load(spec));
        Assert.Contains(dir, error.Message);
        Assert.StartsWith(dir, error.FileName);
    }

    [Fact]
    public void Llama3_without_fetched_files_names_the_fetch_script()
    {
        string path = Path.Combine(Path.GetTempPath(), "nextlong-missing-" + Guid.NewGuid().ToString("N"), "tokenizer.json");
        var error = Assert.Throws<FileNotFoundException>(() => TargetTokenizer.LoadLlama3(path));
        Assert.Contains("tools/tokenizers/fetch-llama3.sh", error.Message);
        Assert.Contains(path, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void OpenAi_encodings_have_their_end_of_text_and_no_bos()
    {
        var cl100k = Get("cl100k_base");
        Assert.Equal("cl100k_base", cl100k.Name);
        Assert.Null(cl100k.BosId);
        Assert.Equal(100257, cl100k.EosId);
        Assert.Equal(new[] { 9906, 1917 }, cl100k.EncodeToIds("Hello world"));
        var o200k = Get("o200k_base");
        Assert.Equal("o200k_base", o200k.Name);
        Assert.Null(o200k.BosId);
        Assert.Equal(199999, o200k.EosId);
    }

    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public void OpenAi_encodings_match_the_library_factory_on_corpus_text(string encoding)
    {
        // The library's UTF-16 regexes differ from tiktoken only around supplementary-plane letters, digits and
        // marks (TiktokenUnicodeTests), which the corpus documents do not hold; ids elsewhere are the same.
        var reference = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding(encoding);
        var tokenizer = Get(encoding);
        foreach (string text in SampleCorpus.Documents.Where((_, i) => i % 40 == 0))
            Assert.Equal(reference.EncodeToIds(text), tokenizer.EncodeToIds(text));
    }

    [Theory]
    [MemberData(nameof(TiktokenSpecs))]
    public void Special_token_strings_in_text_are_plain_text_whatever_was_encoded_before(string spec)
    {
        var tokenizer = Get(spec);
        string text = "a <|endoftext|> b <|end_of_text|> c <|eot_id|>";
        IReadOnlyList<int> before = tokenizer.EncodeToIds(text);
        Assert.DoesNotContain(tokenizer.EosId!.Value, before);
        // Microsoft.ML.Tokenizers keeps special tokens in an LRU word cache of 8192 entries; churn it.
        for (int i = 0; i < 20_000; i++)
            tokenizer.CountTokens($" w{i:x}q");
        Assert.Equal(before, tokenizer.EncodeToIds(text));
    }

    [Fact]
    public void Tiktoken_file_uses_llama3_special_layout_after_its_ranks()
    {
        var tokenizer = Get("tiktoken-file");
        Assert.Equal("tiktoken:" + SampleCorpus.DataFile(TiktokenFile), tokenizer.Name);
        Assert.Equal((4096, 4097), (tokenizer.BosId!.Value, tokenizer.EosId!.Value));
        Assert.Equal(4096 + 9, ((Microsoft.ML.Tokenizers.TiktokenTokenizer)tokenizer.Inner).SpecialTokens!["<|eot_id|>"]);
        Assert.Equal("<|eot_id|>", tokenizer.Inner.Decode([4096 + 9]));
        // Ranks below 4096 are cl100k's, so short common words keep their cl100k ids.
        Assert.Equal(Get("cl100k_base").EncodeToIds(" the of and"), tokenizer.EncodeToIds(" the of and"));
    }

    [Fact]
    public void Model_files_are_sniffed_as_tiktoken_text_or_sentencepiece_protobuf()
    {
        string dir = Directory.CreateTempSubdirectory("nextlong-sniff-").FullName;
        try
        {
            string tiktokenModel = Path.Combine(dir, "tokenizer.model");
            File.Copy(SampleCorpus.DataFile(TiktokenFile), tiktokenModel);
            var asTiktoken = TargetTokenizer.Load(tiktokenModel);
            Assert.Equal("tiktoken:" + tiktokenModel, asTiktoken.Name);
            Assert.Equal(Get("tiktoken-file").EncodeToIds("Sniffing works."), asTiktoken.EncodeToIds("Sniffing works."));

            var asSentencePiece = TargetTokenizer.Load(SampleCorpus.DataFile(SentencePieceModel));
            Assert.Equal("sentencepiece:" + SampleCorpus.DataFile(SentencePieceModel), asSentencePiece.Name);
            Assert.Equal((1, 2), (asSentencePiece.BosId!.Value, asSentencePiece.EosId!.Value));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Truncation_of_long_text_is_exact_and_longest(string spec)
    {
        var tokenizer = Get(spec);
        // SentencePiece evaluates whole prefixes, so it gets a shorter text to keep the test quick.
        string text = SampleCorpus.Concatenated(spec == "sentencepiece-file" ? 200_000 : 800_000, seed: 7);
        int total = tokenizer.CountTokens(text);
        var random = new Random(11);
        int[] targets = [1, 2, total / 2, total - 1, total, .. Enumerable.Range(0, 4).Select(_ => 1 + random.Next(total))];
        foreach (int target in targets)
            AssertLongestExactPrefix(tokenizer, text, target, Truncate(tokenizer, text, target));

        var tooShort = Truncate(tokenizer, text, total + 1);
        Assert.Equal(new TruncatedText(TruncationStatus.TextTooShort, text.Length, total), tooShort);
    }

    [Fact]
    public void Truncation_to_131072_tokens_of_an_800k_char_text()
    {
        var tokenizer = Get("cl100k_base");
        string text = SampleCorpus.Concatenated(800_000, seed: 3);
        var result = Truncate(tokenizer, text, 131_072);
        Assert.True(result.IsExact);
        AssertLongestExactPrefix(tokenizer, text, 131_072, result);
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Truncation_of_mixed_script_text_cuts_words_and_never_splits_scalars(string spec)
    {
        var tokenizer = Get(spec);
        int midWordCuts = 0, exact = 0;
        for (int seed = 0; seed < 4; seed++)
        {
            string text = SampleCorpus.MixedScripts(30_000, seed);
            int total = tokenizer.CountTokens(text);
            var random = new Random(seed);
            for (int i = 0; i < 25; i++)
            {
                int target = 1 + random.Next(total);
                var result = Truncate(tokenizer, text, target);
                AssertLongestExactPrefix(tokenizer, text, target, result);
                exact += result.IsExact ? 1 : 0;
                if (result.Length > 0 && result.Length < text.Length
                    && char.IsLetter(text[result.Length - 1]) && char.IsLetter(text[result.Length]))
                    midWordCuts++;
            }
        }
        Assert.True(midWordCuts > 0, "no cut fell inside a word; the test texts no longer exercise re-tokenization");
        Assert.True(exact >= 80, $"only {exact} of 100 cuts were exact");
    }

    [Theory]
    [MemberData(nameof(Specs))]
    public void Truncation_agrees_with_brute_force_over_every_prefix(string spec)
    {
        var tokenizer = Get(spec);
        for (int seed = 0; seed < 6; seed++)
        {
            string text = SampleCorpus.MixedScripts(240, 100 + seed);
            // F[k] = tokens of the prefix ending at scalar boundary k.
            List<int> boundaries = [0];
            while (boundaries[^1] < text.Length)
                boundaries.Add(boundaries[^1] + (char.IsHighSurrogate(text[boundaries[^1]]) && boundaries[^1] + 1 < text.Length ? 2 : 1));
            int[] counts = boundaries.Select(b => b == 0 ? 0 : tokenizer.CountTokens(text[..b])).ToArray();
            bool IsLongestExact(int k, int target) =>
                counts[k] == target && (k == boundaries.Count - 1 || counts[k + 1] > target);

            for (int target = 1; target <= counts[^1] + 1; target++)
            {
                var result = Truncate(tokenizer, text, target);
                int k = boundaries.IndexOf(result.Length);
                Assert.True(k >= 0, $"cut {result.Length} splits a surrogate pair");
                Assert.Equal(counts[k], result.TokenCount);
                switch (result.Status)
                {
                    case TruncationStatus.Exact:
                        Assert.True(IsLongestExact(k, target), $"T={target}: cut {result.Length} is not a longest exact prefix");
                        break;
                    case TruncationStatus.TextTooShort:
                        Assert.True(counts[^1] < target);
                        break;
                    default:
                        Assert.True(counts[k] < target && counts[k + 1] > target, $"T={target}: {result} is no jump over T");
                        Assert.False(Enumerable.Range(0, counts.Length).Any(j => IsLongestExact(j, target)),
                            $"T={target}: reported no exact cut, but one exists");
                        break;
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TiktokenSpecs))]
    public void Counts_split_additively_at_stable_boundaries(string spec)
    {
        // The lemma behind the fast path: F(c) = F(S) + count(text[S..c]) at every stable boundary S ≤ c.
        var tokenizer = Get(spec);
        var random = new Random(5);
        for (int seed = 0; seed < 3; seed++)
        {
            string text = SampleCorpus.MixedScripts(20_000, 200 + seed);
            int[] stable = Enumerable.Range(1, text.Length - 1).Where(s => ExactTruncation.IsStableBoundary(text, s)).ToArray();
            Assert.True(stable.Length > 100);
            for (int i = 0; i < 60; i++)
            {
                int s = stable[random.Next(stable.Length)];
                int c = SampleCorpus.CutAtScalar(text, Math.Min(text.Length, s + 1 + random.Next(60))).Length;
                Assert.Equal(tokenizer.CountTokens(text[..c]), tokenizer.CountTokens(text[..s]) + tokenizer.CountTokens(text[s..c]));
            }
        }
    }

    [Fact]
    public void Token_index_at_char_offsets_points_into_the_encoding()
    {
        var tokenizer = Get("cl100k_base");
        string text = "Tokens 😀 cover" + SampleCorpus.Documents[3][..2000];
        var tokens = tokenizer.Inner.EncodeToTokens(text, out _);
        int[] ids = [.. tokenizer.EncodeToIds(text)];
        int[] offsets = [0, 7, 8, 9, 10, 500, 501, 1999, text.Length - 1, text.Length];
        int[] indices = tokenizer.TokenIndexAtCharOffsets(text, ids, offsets);
        for (int i = 0; i < offsets.Length - 1; i++)
        {
            var (start, length) = tokens[indices[i]].Offset.GetOffsetAndLength(text.Length);
            Assert.InRange(offsets[i], start, start + length - 1);
            Assert.True(indices[i] == 0 || tokens[indices[i] - 1].Offset.End.Value <= offsets[i], "not the first token holding the char");
        }
        Assert.Equal(tokens.Count, indices[^1]);
        Assert.Equal(indices[1], indices[2]);  // both halves of the emoji map to its first byte token
        Assert.Throws<ArgumentException>(() => tokenizer.TokenIndexAtCharOffsets(text, ids, [5, 4]));
    }

    [Theory]
    [MemberData(nameof(TiktokenSpecs))]
    public void Token_index_from_ids_equals_the_library_token_offsets_at_every_offset(string spec)
    {
        // The ids' UTF-8 lengths give the same answer as the library's own token offsets (EncodeToTokens), on every
        // UTF-16 offset of mixed-script text: both halves of pairs, tokens ending inside a character, lone surrogates.
        var tokenizer = Get(spec);
        for (int seed = 0; seed < 3; seed++)
        {
            string text = SampleCorpus.MixedScripts(6_000, 300 + seed) + "a\uD800b \uDC00 \uD83D";
            var tokens = tokenizer.Inner.EncodeToTokens(text, out _);
            int[] offsets = [.. Enumerable.Range(0, text.Length + 1)];
            int[] expected = new int[offsets.Length];
            for (int o = 0, token = 0; o < offsets.Length; o++)
            {
                while (token < tokens.Count && tokens[token].Offset.End.Value <= o)
                    token++;
                expected[o] = o == text.Length ? tokens.Count : token;
            }
            Assert.Equal(expected, tokenizer.TokenIndexAtCharOffsets(text, [.. tokens.Select(t => t.Id)], offsets));
        }
    }

    [Fact]
    public void Llama3_matches_known_ids_and_special_layout()
    {
        var tokenizer = Get("llama3");
        Assert.Equal(("llama3", 128000, 128001), (tokenizer.Name, tokenizer.BosId!.Value, tokenizer.EosId!.Value));
        Assert.Equal(new[] { 9906, 1917 }, tokenizer.EncodeToIds("Hello world"));
        var special = ((Microsoft.ML.Tokenizers.TiktokenTokenizer)tokenizer.Inner).SpecialTokens!;
        Assert.Equal(Llama3Format.SpecialTokens(128000).OrderBy(p => p.Value), special.OrderBy(p => p.Value));
    }

    [Fact]
    public void Llama3_ids_equal_the_reference_javascript_tokenizer()
    {
        var tokenizer = Get("llama3");
        string[] texts =
        [
            .. SampleCorpus.Documents.Take(40).Select(d => SampleCorpus.CutAtScalar(d, 20_000)),
            SampleCorpus.MixedScripts(20_000, seed: 42),
        ];
        int[][] expected = TokenizerReference.Llama3JavaScript(texts);
        for (int i = 0; i < texts.Length; i++)
            Assert.True(expected[i].SequenceEqual(tokenizer.EncodeToIds(texts[i])), $"text {i} differs from the JS tokenizer");
    }

    [Fact]
    public void Llama3_truncation_is_exact_and_longest()
    {
        var tokenizer = Get("llama3");
        string text = SampleCorpus.Concatenated(800_000, seed: 9);
        AssertLongestExactPrefix(tokenizer, text, 131_072, Truncate(tokenizer, text, 131_072));
        string mixed = SampleCorpus.MixedScripts(30_000, seed: 9);
        var random = new Random(9);
        for (int i = 0; i < 30; i++)
        {
            int target = 1 + random.Next(tokenizer.CountTokens(mixed));
            AssertLongestExactPrefix(tokenizer, mixed, target, Truncate(tokenizer, mixed, target));
        }
    }

    /// <summary>
    /// Exact: the prefix has T tokens and one more scalar value has more (or it is the whole text).
    /// NoExactCut: the prefix has fewer than T and one more scalar value has more, so no exact cut exists there.
    /// </summary>
    private static void AssertLongestExactPrefix(TargetTokenizer tokenizer, string text, int target, TruncatedText result)
    {
        Assert.InRange(result.Length, 0, text.Length);
        Assert.False(result.Length > 0 && result.Length < text.Length && char.IsHighSurrogate(text[result.Length - 1]),
            $"T={target}: cut {result.Length} splits a surrogate pair");
        string prefix = text[..result.Length];
        Assert.Equal(result.TokenCount, tokenizer.CountTokens(prefix));
        int? longer = result.Length == text.Length
            ? null
            : tokenizer.CountTokens(text[..(result.Length + (char.IsSurrogatePair(text, result.Length) ? 2 : 1))]);
        switch (result.Status)
        {
            case TruncationStatus.Exact:
                Assert.Equal(target, result.TokenCount);
                Assert.True(longer is null || longer > target, $"T={target}: one more scalar gives {longer}, not > T");
                break;
            case TruncationStatus.NoExactCut:
                Assert.True(result.TokenCount < target && longer > target, $"T={target}: {result} then {longer} is no jump over T");
                break;
            default:
                Assert.Fail($"T={target}: {result} for a text of {tokenizer.CountTokens(text)} tokens");
                break;
        }
    }

    /// <summary>
    /// TruncateToTokens with the ids collected: the same cut as without, and on an Exact cut the ids are the prefix's
    /// own encoding (what the tokenized formats write).
    /// </summary>
    private static TruncatedText Truncate(TargetTokenizer tokenizer, string text, int target)
    {
        var ids = new int[target];
        var result = tokenizer.TruncateToTokens(text, target, ids);
        Assert.Equal(tokenizer.TruncateToTokens(text, target), result);
        if (result.IsExact)
            Assert.True(tokenizer.EncodeToIds(text[..result.Length]).SequenceEqual(ids), $"T={target}: the collected ids are not the prefix's encoding");
        return result;
    }

    /// <summary>Loads once per spec; skips the test when "llama3" was not fetched (see <see cref="TokenizerReference"/>).</summary>
    internal static TargetTokenizer Get(string spec)
    {
        if (spec == "llama3")
            TokenizerReference.RequireFile(TokenizerCache.Llama3TokenizerJson(), "fetch-llama3.sh");
        return Loaded.GetOrAdd(spec, s => new Lazy<TargetTokenizer>(() => TargetTokenizer.Load(s switch
        {
            "tiktoken-file" => SampleCorpus.DataFile(TiktokenFile),
            "sentencepiece-file" => "sentencepiece:" + SampleCorpus.DataFile(SentencePieceModel),
            _ => s,
        }))).Value;
    }
}
