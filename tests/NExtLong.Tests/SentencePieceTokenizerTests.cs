using System.Text.Json;
using NExtLong.Embedding.Onnx;

namespace NExtLong.Tests;

/// <summary>
/// Both readers of a SentencePiece unigram vocabulary — the .model file and a tokenizer.json Unigram model made from
/// it — against the ids Python sentencepiece gave (tests/NExtLong.Tests/Data/onnx/sentencepiece-ids.json).
/// </summary>
public class SentencePieceTokenizerTests
{
    public static TheoryData<string, int[]> Reference()
    {
        var data = new TheoryData<string, int[]>();
        foreach (var (text, ids) in ReferencePairs())
            data.Add(text, ids);
        return data;
    }

    private static List<(string Text, int[] Ids)> ReferencePairs()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(TinyModels.SentencePieceIds));
        return document.RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("text").GetString()!, e.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()))
            .ToList();
    }

    [Theory]
    [MemberData(nameof(Reference))]
    public void SentencePiece_model_gives_the_python_ids(string text, int[] expected)
    {
        using var stream = File.OpenRead(TinyModels.SentencePieceModel);
        var tokenizer = SentencePieceModelTokenizer.FromModel(stream, fairseq: false, TinyModels.SentencePieceModel);
        var ids = new List<int>();
        tokenizer.Encode(text, ids);
        Assert.Equal(expected, ids);
    }

    [Theory]
    [MemberData(nameof(Reference))]
    public void Tokenizer_json_unigram_gives_the_python_ids(string text, int[] expected)
    {
        var tokenizer = TokenizerJson.Load(Path.Combine(TinyModels.Jina, "tokenizer.json"));
        var ids = new List<int>();
        tokenizer.Encode(text, ids);
        Assert.Equal(expected, ids);
        Assert.Equal([1], tokenizer.WindowStart);
        Assert.Equal([2], tokenizer.WindowEnd);
    }

    [Fact]
    public void Fairseq_ids_shift_pieces_by_one_and_map_unknown_to_3()
    {
        using var stream = File.OpenRead(TinyModels.SentencePieceModel);
        var tokenizer = SentencePieceModelTokenizer.FromModel(stream, fairseq: true, TinyModels.SentencePieceModel);
        var (text, plain) = ReferencePairs().First(r => r.Ids.Contains(0));
        var ids = new List<int>();
        tokenizer.Encode(text, ids);
        Assert.Equal(plain.Select(id => id == 0 ? 3 : id + 1), ids);
        Assert.Equal([0], tokenizer.WindowStart);
        Assert.Equal([2], tokenizer.WindowEnd);
        Assert.Equal(1, tokenizer.PadId);
    }

    [Fact]
    public void A_bpe_tokenizer_json_is_refused_by_name()
    {
        string dir = TempDir.Create();
        string path = Path.Combine(dir, "tokenizer.json");
        File.WriteAllText(path, """{ "model": { "type": "BPE", "vocab": {}, "merges": [] } }""");
        var error = Assert.Throws<NotSupportedException>(() => TokenizerJson.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("BPE", error.Message);
        Directory.Delete(dir, recursive: true);
    }
}
