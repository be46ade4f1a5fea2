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
}
