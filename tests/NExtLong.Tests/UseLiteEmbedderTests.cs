using System.Numerics.Tensors;
using NExtLong.Embedding;
using NExtLong.Embedding.Onnx;

namespace NExtLong.Tests;

/// <summary>The built-in use-lite embedder (ONNX export + C# tokenizer) against the original TensorFlow.js model in node.</summary>
public class UseLiteEmbedderTests
{
    private static readonly Lazy<OnnxEmbedder> Shared = new(() => (OnnxEmbedder)EmbedderFactory.Create("use-lite"));

    private static string[] Texts()
    {
        var texts = new List<string>
        {
            "Hello world.",
            "",
            " ",
            "The quick brown fox jumps over the lazy dog",
            "  leading, trailing and  double  spaces  ",
            "naïve café, Ｆｕｌｌｗｉｄｔｈ ①②, ﬁ ligature, e\u0301 combining",
            "URLs http://example.org:8080/path and smileys :) :-) :( and a colon: here",
            "emoji 😀👍🏽 family 👨‍👩‍👧 and astral 𠀀𠀁 CJK 长上下文 and Hangul 한국어",
            "\t\ttabs\nnewlines\r\nand\u00A0nbsp",
            "UPPER CASE and MiXeD cAsE words; numbers 3.14159 and 1,000,000.",
        };
        // Long chunks from the sample corpus need several 128-token windows.
        texts.Add(SampleCorpus.Concatenated(600, seed: 1));
        texts.Add(SampleCorpus.Concatenated(2048, seed: 2));
        texts.Add(SampleCorpus.MixedScripts(2048, seed: 3));
        return [.. texts];
    }

    [Fact]
    public void Describes_itself_as_use_lite_with_512_dimensions()
    {
        Assert.Equal("use-lite", Shared.Value.Spec);
        Assert.Equal(512, Shared.Value.Dimension);
    }

    [Fact]
    public void Tokenizer_gives_the_ids_of_the_javascript_tokenizer()
    {
        UseLiteReference.RequireInstalled();
        var texts = Texts();
        var (ids, _) = UseLiteReference.Embed(texts);
        for (int i = 0; i < texts.Length; i++)
            Assert.True(ids[i].SequenceEqual(Shared.Value.Tokenize(texts[i])), $"text {i}: ids differ from the JavaScript tokenizer's");
    }

    [Fact]
    public void Vectors_match_the_tensorflow_js_model_within_1e5()
    {
        UseLiteReference.RequireInstalled();
        var texts = Texts();
        var (_, expected) = UseLiteReference.Embed(texts);
        var actual = new float[texts.Length * 512];
        Shared.Value.Embed(texts, actual);
        for (int i = 0; i < texts.Length; i++)
            TinyModels.AssertClose(expected[i], actual.AsSpan(i * 512, 512));
    }

    [Fact]
    public void Paraphrases_are_closer_than_unrelated_sentences()
    {
        var v = new float[3 * 512];
        Shared.Value.Embed(["How old are you?", "What is your age?", "The train leaves from platform nine."], v);
        float paraphrase = TensorPrimitives.Dot(v.AsSpan(0, 512), v.AsSpan(512, 512));
        float unrelated = TensorPrimitives.Dot(v.AsSpan(0, 512), v.AsSpan(1024, 512));
        Assert.True(paraphrase > unrelated + 0.2f, $"paraphrase {paraphrase}, unrelated {unrelated}");
    }
}
