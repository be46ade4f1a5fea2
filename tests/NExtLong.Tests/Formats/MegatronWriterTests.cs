using NExtLong.Output;
using NExtLong.Output.Megatron;

namespace NExtLong.Tests.Formats;

public class MegatronWriterTests
{
    private static string Write(MegatronDType dtype, params int[][] documents)
    {
        string dir = TempDir.Create();
        using var writer = new MegatronDatasetWriter(dir, "docs", dtype);
        foreach (var doc in documents) writer.Write(doc, [new TokenRange(0, doc.Length)], "d");
        Assert.Equal(["docs.bin", "docs.idx"], writer.Complete());
        return Path.Combine(dir, "docs");
    }

    /// <summary>The two-document int32 vector of the reference notes (Llama 3 ids, 128000 = BOS, 128001 = EOS).</summary>
    [Fact]
    public void Int32_vector_matches_the_reference_bytes()
    {
        string prefix = Write(MegatronDType.Int32, [128000, 9906, 128001], [128000, 1917]);
        Assert.Equal("00f40100b226000001f4010000f401007d070000", Hex.Of(File.ReadAllBytes(prefix + ".bin")));
        Assert.Equal(Hex.Of(Hex.Parse("""
            4d4d4944494458 0000                       # "MMIDIDX\0\0"
            0100000000000000                          # version 1
            04                                        # dtype int32
            0200000000000000                          # 2 sequences
            0300000000000000                          # document_indices has 3 entries
            03000000 02000000                         # lengths
            0000000000000000 0c00000000000000         # byte offsets 0, 12
            0000000000000000 0100000000000000 0200000000000000
            """)), Hex.Of(File.ReadAllBytes(prefix + ".idx")));
    }

    /// <summary>A uint16 vector worked out by hand: offsets advance 2 bytes per id.</summary>
    [Fact]
    public void UInt16_vector_matches_the_hand_worked_bytes()
    {
        string prefix = Write(MegatronDType.UInt16, [1, 2, 3], [65535]);
        Assert.Equal("010002000300ffff", Hex.Of(File.ReadAllBytes(prefix + ".bin")));
        Assert.Equal(Hex.Of(Hex.Parse("""
            4d4d494449445800 00 | 0100000000000000 | 08 | 0200000000000000 | 0300000000000000
            03000000 01000000 | 0000000000000000 0600000000000000
            0000000000000000 0100000000000000 0200000000000000
            """)), Hex.Of(File.ReadAllBytes(prefix + ".idx")));
        var read = SpecMegatronReader.Read(prefix);
        Assert.Equal([65535L], read.Sequences[1]);
    }

    [Fact]
    public void Dtype_follows_megatron_optimal_dtype_and_ids_must_fit()
    {
        Assert.Equal(MegatronDType.UInt16, MegatronDatasetWriter.DTypeFor(32_000));
        Assert.Equal(MegatronDType.Int32, MegatronDatasetWriter.DTypeFor(65_500));
        Assert.Equal(MegatronDType.Int32, MegatronDatasetWriter.DTypeFor(128_256));
        string dir = TempDir.Create();
        using var writer = new MegatronDatasetWriter(dir, "x", MegatronDType.UInt16);
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write([70000], [new TokenRange(0, 1)], "d"));
        writer.Dispose();
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void TikToken_mapping_writes_what_megatrons_tiktokenizer_reads()
    {
        var tokenizer = TargetTokenizerTests.Get("cl100k_base");
        var mapping = MegatronIdMapping.Create(tokenizer, MegatronTokenizerType.TikToken, numSpecialTokens: null);
        Assert.Equal((1000, 2, (int?)null, 101_257), (mapping.Shift, mapping.EosId!.Value, mapping.BosId, mapping.VocabularySize));
        string[] texts = ["Hello world", "Ünïcode 𝔢's text\n"];
        string dir = TempDir.Create();
        using (var writer = MegatronDatasetWriter.InDataset(dir, mapping))
        {
            foreach (string text in texts)
            {
                int[] framed = [.. tokenizer.EncodeToIds(text), tokenizer.EosId!.Value];
                writer.Write(framed, [new TokenRange(0, framed.Length)], "x");
            }
            writer.Complete();
        }
        var dataset = SpecMegatronReader.Read(Path.Combine(dir, MegatronDatasetWriter.Folder, MegatronDatasetWriter.Prefix));
        Assert.Equal(4, dataset.DTypeCode);
        Assert.Equal(new long[] { 10_906, 2_917, 2 }, dataset.Sequences[0]);
        for (int i = 0; i < texts.Length; i++)
        {
            // Megatron's CustomTikTokenizer: ids below N are its specials (<unk> 0, <s> 1, </s> 2), the rest rank + N.
            long[] ids = dataset.Sequences[i];
            Assert.Equal(2, ids[^1]);
            Assert.All(ids[..^1], id => Assert.True(id >= 1000));
            Assert.Equal(texts[i], tokenizer.Inner.Decode(ids[..^1].Select(id => (int)(id - 1000))));
        }
    }

    [Fact]
    public void TikToken_mapping_of_a_file_with_bos_uses_megatrons_special_ids_and_dtype()
    {
        var tokenizer = TargetTokenizerTests.Get("tiktoken-file");
        var mapping = MegatronIdMapping.Create(tokenizer, MegatronTokenizerType.TikToken, numSpecialTokens: 64);
        Assert.Equal((1, 2, 64 + 4096), (mapping.BosId!.Value, mapping.EosId!.Value, mapping.VocabularySize));
        Assert.Equal(new[] { 1, 64 + 279, 2 }, new[] { 4096, 279, 4097 }.Select(mapping.Map));
        Assert.Equal(MegatronDType.UInt16, MegatronDatasetWriter.DTypeFor(mapping.VocabularySize));
        Assert.Throws<ArgumentOutOfRangeException>(() => mapping.Map(4096 + 9));  // <|eot_id|>: no Megatron id

        var config = new DatasetOutputOptions { Formats = [DatasetFormat.Megatron], MegatronTokenizer = MegatronTokenizerType.TikToken, MegatronNumSpecialTokens = 64 }
            .ToConfig(tokenizer, 100);
        var entry = Assert.IsType<Dictionary<string, object?>>(config["megatron_tokenizer"]);
        Assert.Equal(new object?[] { "tiktoken", 64, 2, 1, 4160 }, new[] { entry["type"], entry["shift"], entry["eod_id"], entry["bos_id"], entry["vocab_size"] });
        Assert.Equal("uint16", config["megatron_dtype"]);
    }

    [Fact]
    public void Hf_mapping_keeps_the_tokenizers_ids()
    {
        var tokenizer = TargetTokenizerTests.Get("cl100k_base");
        var mapping = new DatasetOutputOptions { Formats = [DatasetFormat.Megatron] }.MegatronIds(tokenizer);
        Assert.Equal((MegatronTokenizerType.HuggingFace, 0, 100_257), (mapping.Type, mapping.Shift, mapping.EosId!.Value));
        Assert.Equal(new[] { 9906, 100_257, 100_258 }, new[] { 9906, 100_257, 100_258 }.Select(mapping.Map));
    }

    [Fact]
    public void Meaningless_megatron_tokenizer_combinations_are_refused_in_one_line()
    {
        var sentencePiece = TargetTokenizerTests.Get("sentencepiece-file");
        var cl100k = TargetTokenizerTests.Get("cl100k_base");
        var errors = new[]
        {
            Assert.Throws<ArgumentException>(() => MegatronIdMapping.Create(sentencePiece, MegatronTokenizerType.TikToken, null)),
            Assert.Throws<ArgumentException>(() => MegatronIdMapping.Create(cl100k, MegatronTokenizerType.HuggingFace, 1000)),
            Assert.Throws<ArgumentException>(() => MegatronIdMapping.Create(cl100k, MegatronTokenizerType.TikToken, 2)),
            Assert.Throws<ArgumentException>(() => MegatronIdMapping.Parse("sentencepiece")),
        };
        Assert.Contains("is not a tiktoken encoding", errors[0].Message);
        Assert.All(errors, e => Assert.DoesNotContain('\n', e.Message));
    }
}
