using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

public class ByteLevelBpeConverterTests
{
    // A toy byte-level BPE: the 256 bytes, then he, ll, hell, hello; merges in rank order.
    private static readonly string[] Merges = ["h e", "l l", "he ll", "hell o"];

    [Fact]
    public void Rank_ordered_merges_convert_to_an_equivalent_tiktoken_table()
    {
        var tokenizer = Convert(TokenizerJson(Merges, Llama3Format.Pattern));
        Assert.Equal(new[] { 259, 258 }, tokenizer.EncodeToIds("hellohell"));
        Assert.Equal(new[] { 256, (int)'x' }, tokenizer.EncodeToIds("hex"));  // byte ids are the toy's byte values
        Assert.Equal(260, tokenizer.SpecialTokens!["<|end_of_text|>"]);
        Assert.Equal("hello", tokenizer.Decode([259]));
    }

    [Fact]
    public void Merges_out_of_rank_order_are_rejected()
    {
        var error = Assert.Throws<InvalidDataException>(() => Convert(TokenizerJson(["l l", "h e", "he ll", "hell o"], Llama3Format.Pattern)));
        Assert.Contains("not rank order", error.Message);
    }

    [Fact]
    public void A_vocab_split_without_its_merge_is_rejected()
    {
        var error = Assert.Throws<InvalidDataException>(() => Convert(TokenizerJson(["h e", "l l", "hell o"], Llama3Format.Pattern)));
        Assert.Contains("two-token splits", error.Message);
    }

    [Fact]
    public void Another_split_regex_is_rejected()
    {
        var error = Assert.Throws<InvalidDataException>(() => Convert(TokenizerJson(Merges, @"\w+|\s+")));
        Assert.Contains("regex other than Llama 3's", error.Message);
    }

    private static TiktokenTokenizer Convert(string json)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));
        return ByteLevelBpeConverter.CreateTiktoken(stream).Create();
    }

    private static string TokenizerJson(string[] merges, string pattern)
    {
        var vocab = new Dictionary<string, int>();
        foreach (char c in GptByteLevel.ByteToChar)
            vocab[c.ToString()] = vocab.Count;
        foreach (string merged in new[] { "he", "ll", "hell", "hello" })
            vocab[merged] = vocab.Count;
        var document = new
        {
            version = "1.0",
            added_tokens = new[] { new { id = 260, content = "<|end_of_text|>", special = true } },
            normalizer = (object?)null,
            pre_tokenizer = new
            {
                type = "Sequence",
                pretokenizers = new object[]
                {
                    new { type = "Split", pattern = new { Regex = pattern }, behavior = "Isolated", invert = false },
                    new { type = "ByteLevel", add_prefix_space = false, trim_offsets = true, use_regex = false },
                },
            },
            model = new { type = "BPE", ignore_merges = true, byte_fallback = false, vocab, merges },
        };
        return JsonSerializer.Serialize(document);
    }
}
