using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using NExtLong.Embedding;
using NExtLong.Embedding.Onnx;

namespace NExtLong.Tests;

public class OnnxEmbedderTests
{
    private const int Cls = 2, Sep = 3;
    private const string Fox = "The quick brown fox jumps over the lazy dog.";

    private static OnnxEmbedder Bert(OnnxEmbedderSettings? overrides = null, int sessions = 1)
        => OnnxEmbedder.Open(TinyModels.Bert, overrides, new OnnxRuntimeOptions { Sessions = sessions });

    private static float[] Embed(IEmbedder embedder, params string[] texts)
    {
        var vectors = new float[texts.Length * embedder.Dimension];
        embedder.Embed(texts, vectors);
        return vectors;
    }

    /// <summary>A text of <paramref name="words"/> vocabulary words (one token each).</summary>
    private static string Words(int words)
        => string.Join(' ', Enumerable.Range(0, words).Select(i => new[] { "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "cat", "sat", "on", "mat" }[i * 7 % 12]));

    [Fact]
    public void Infers_settings_of_a_bert_folder_from_its_config_files()
    {
        using var embedder = Bert();
        var s = embedder.Settings;
        Assert.Equal(("wordpiece", "vocab.txt", true), (s.TokenizerType, s.Tokenizer, s.Lowercase));
        Assert.Equal(("mean", 16, "last_hidden_state", 8), (s.Pooling, s.MaxTokens, s.Output, embedder.Dimension));
        Assert.Equal(["attention_mask", "input_ids", "token_type_ids"], s.Inputs!.Keys.Order());
        Assert.Equal("onnx:" + TinyModels.Bert, embedder.Spec);
    }

    [Fact]
    public void Infers_settings_of_a_jina_folder_with_tokenizer_json_and_task_adapters()
    {
        using var embedder = OnnxEmbedder.Open(TinyModels.Jina, runtime: new OnnxRuntimeOptions { Sessions = 1 });
        var s = embedder.Settings;
        Assert.Equal(("tokenizer-json", "text-matching", 4, 18, "text_embeds"), (s.TokenizerType, s.Task, s.TaskId, s.MaxTokens, s.Output));
    }

    [Fact]
    public void Bert_tokenizer_gives_wordpiece_ids_without_special_tokens()
    {
        using var embedder = Bert();
        Assert.Equal([5, 6, 7, 8, 9, 16], embedder.Tokenize("The QUICK brown fox jumps."));
        Assert.Equal([19, 24, 20, 21, 5, 22], embedder.Tokenize("cats sat on the mat"));
    }

    [Fact]
    public void A_folder_with_only_a_wordpiece_tokenizer_json_embeds_like_one_with_vocab_txt()
    {
        string dir = TempDir.Create();
        File.Copy(Path.Combine(TinyModels.Bert, "model.onnx"), Path.Combine(dir, "model.onnx"));
        File.Copy(Path.Combine(TinyModels.Bert, "config.json"), Path.Combine(dir, "config.json"));
        var vocab = File.ReadAllLines(Path.Combine(TinyModels.Bert, "vocab.txt")).Select((token, id) => (token, id)).ToDictionary(p => p.token, p => p.id);
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), System.Text.Json.JsonSerializer.Serialize(new
        {
            normalizer = new { type = "BertNormalizer", lowercase = true },
            post_processor = new { type = "BertProcessing", sep = new object[] { "[SEP]", Sep }, cls = new object[] { "[CLS]", Cls } },
            model = new { type = "WordPiece", unk_token = "[UNK]", continuing_subword_prefix = "##", vocab },
        }));
        using (var fromJson = OnnxEmbedder.Open(dir, runtime: new OnnxRuntimeOptions { Sessions = 1 }))
        using (var fromVocab = Bert())
        {
            Assert.Equal("tokenizer-json", fromJson.Settings.TokenizerType);
            string text = "Cats sat on the MAT, the lazy dog jumps.";
            Assert.Equal(fromVocab.Tokenize(text), fromJson.Tokenize(text));
            Assert.Equal(Embed(fromVocab, text), Embed(fromJson, text));
        }
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Mean_pooling_of_one_window_matches_an_independent_calculation()
    {
        using var embedder = Bert();
        var ids = embedder.Tokenize(Fox);
        TinyModels.AssertClose(TinyModels.Expected(ids, [Cls], [Sep], 16, 0), Embed(embedder, Fox));
    }

    [Theory]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(40)]
    public void A_text_longer_than_the_window_is_embedded_window_by_window(int words)
    {
        using var embedder = Bert();
        string text = Words(words);
        var ids = embedder.Tokenize(text);
        Assert.Equal(words, ids.Count);
        var vector = Embed(embedder, text);
        TinyModels.AssertClose(TinyModels.Expected(ids, [Cls], [Sep], 16, 0), vector);
        if (words > 14)
        {
            var firstWindowOnly = TinyModels.Expected(ids.Take(14).ToList(), [Cls], [Sep], 16, 0);
            Assert.True(TensorPrimitives.Dot(firstWindowOnly, vector) < 0.9999f);
        }
    }

    [Fact]
    public void Cls_pooling_uses_the_first_token()
    {
        using var embedder = Bert(new OnnxEmbedderSettings { Pooling = "cls" });
        string text = Words(30);
        TinyModels.AssertClose(TinyModels.Expected(embedder.Tokenize(text), [Cls], [Sep], 16, 0, pooling: "cls"), Embed(embedder, text));
    }

    [Fact]
    public void Matryoshka_dimension_keeps_the_first_values_then_normalises()
    {
        using var embedder = Bert(new OnnxEmbedderSettings { Dimension = 3 });
        Assert.Equal(3, embedder.Dimension);
        string text = Words(20);
        var vector = Embed(embedder, text);
        TinyModels.AssertClose(TinyModels.Expected(embedder.Tokenize(text), [Cls], [Sep], 16, 0, dimension: 3), vector);
        Assert.Equal(1f, TensorPrimitives.Norm(vector), 1e-5f);
    }

    [Fact]
    public void Without_window_normalisation_windows_are_averaged_as_pooled()
    {
        using var embedder = Bert(new OnnxEmbedderSettings { Normalize = false });
        string text = Words(33);
        TinyModels.AssertClose(TinyModels.Expected(embedder.Tokenize(text), [Cls], [Sep], 16, 0, normalize: false), Embed(embedder, text));
    }

    [Theory]
    [InlineData("passage", new[] { Cls, 14, 15 })]
    [InlineData("query", new[] { Cls, 13, 15 })]
    public void The_role_prefix_starts_every_window(string role, int[] start)
    {
        using var embedder = Bert(new OnnxEmbedderSettings { QueryPrefix = "query: ", PassagePrefix = "passage: ", Role = role });
        string text = Words(25);
        TinyModels.AssertClose(TinyModels.Expected(embedder.Tokenize(text), start, [Sep], 16, 0), Embed(embedder, text));
    }

    [Theory]
    [InlineData(null, 4)]
    [InlineData("retrieval.query", 0)]
    [InlineData("retrieval.passage", 1)]
    public void Jina_task_selects_the_task_id_input(string? task, int taskId)
    {
        using var embedder = OnnxEmbedder.Open(TinyModels.Jina, new OnnxEmbedderSettings { Task = task }, new OnnxRuntimeOptions { Sessions = 1 });
        string text = string.Concat(Enumerable.Repeat(Fox + " ", 4));
        var ids = embedder.Tokenize(text);
        Assert.True(ids.Count > 16, "the text must need several windows");
        // RobertaProcessing in tokenizer.json: <s> = 1 and </s> = 2 in this SentencePiece vocabulary.
        TinyModels.AssertClose(TinyModels.Expected(ids, [1], [2], 18, taskId), Embed(embedder, text));
    }

    [Fact]
    public void A_text_without_tokens_gets_a_zero_vector()
    {
        using var embedder = Bert();
        var vectors = Embed(embedder, "", Fox, "   ");
        Assert.All(vectors.AsSpan(0, 8).ToArray(), x => Assert.Equal(0f, x));
        Assert.All(vectors.AsSpan(16, 8).ToArray(), x => Assert.Equal(0f, x));
        Assert.Equal(1f, TensorPrimitives.Norm(vectors.AsSpan(8, 8)), 1e-5f);
    }

    [Fact]
    public void Concurrent_batches_give_the_same_bits_as_one_text_at_a_time()
    {
        using var embedder = Bert(sessions: 2);
        var texts = Enumerable.Range(1, 60).Select(i => Words(i % 37 + 1)).ToArray();
        var expected = new float[texts.Length * 8];
        for (int i = 0; i < texts.Length; i++)
            embedder.Embed([texts[i]], expected.AsSpan(i * 8, 8));
        var results = new float[6][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 3 }, t => results[t] = Embed(embedder, texts));
        foreach (var result in results)
            Assert.True(MemoryMarshal.AsBytes(result.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(expected.AsSpan())));
    }

    [Fact]
    public void Factory_spec_keeps_options_that_change_vectors_and_drops_runtime_ones()
    {
        using var embedder = EmbedderFactory.Create($"onnx:{TinyModels.Bert},provider=cpu,dim=4,sessions=1,batch=3,threads=1");
        Assert.Equal($"onnx:{TinyModels.Bert},dim=4", embedder.Spec);
        Assert.Equal(4, embedder.Dimension);
    }

    [Fact]
    public void A_gpu_provider_missing_from_this_build_is_refused_naming_the_package()
    {
        var error = Assert.Throws<NotSupportedException>(() => EmbedderFactory.Create($"onnx:{TinyModels.Bert},provider=cuda"));
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu", error.Message);
        Assert.Contains("CPUExecutionProvider", error.Message);
    }

    [Fact]
    public void Bad_folders_and_settings_are_errors_naming_the_file()
    {
        string dir = TempDir.Create();
        Assert.Throws<DirectoryNotFoundException>(() => OnnxEmbedder.Open(Path.Combine(dir, "missing")));
        Assert.Contains("model.onnx", Assert.Throws<FileNotFoundException>(() => OnnxEmbedder.Open(dir)).Message);

        foreach (string file in Directory.GetFiles(TinyModels.Bert))
            File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        File.WriteAllText(Path.Combine(dir, OnnxEmbedderSettings.FileName), """{ "pooling": "mean", "max_token": 8 }""");
        var typo = Assert.Throws<InvalidDataException>(() => OnnxEmbedder.Open(dir));
        Assert.Contains(OnnxEmbedderSettings.FileName, typo.Message);
        Assert.Contains("max_token", typo.Message);

        File.WriteAllText(Path.Combine(dir, OnnxEmbedderSettings.FileName), """{ "dimension": 9 }""");
        Assert.Contains("dimension 9", Assert.Throws<InvalidDataException>(() => OnnxEmbedder.Open(dir)).Message);

        File.WriteAllText(Path.Combine(dir, OnnxEmbedderSettings.FileName), """{ "task": "retrieval.query" }""");
        Assert.Contains("task_id", Assert.Throws<InvalidDataException>(() => OnnxEmbedder.Open(dir)).Message);
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Unknown_task_names_the_model_tasks()
    {
        var error = Assert.Throws<InvalidDataException>(() => OnnxEmbedder.Open(TinyModels.Jina, new OnnxEmbedderSettings { Task = "summarize" }));
        Assert.Contains("text-matching", error.Message);
    }
}
