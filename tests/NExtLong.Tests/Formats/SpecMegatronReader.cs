using System.Buffers.Binary;
using System.Text;

namespace NExtLong.Tests.Formats;

/// <summary>
/// Reads a Megatron-LM / GPT-NeoX indexed dataset from the format description alone, with the checks Megatron's
/// IndexedDataset makes (magic, version 1, document_indices ending at the sequence count, pointers matching the
/// lengths, .bin size).
/// </summary>
internal static class SpecMegatronReader
{
    internal sealed record Dataset(byte DTypeCode, int[] Lengths, long[] Pointers, long[] DocumentIndices, List<long[]> Sequences);

    public static Dataset Read(string prefix)
    {
        Verified.IfComplete(prefix);
        byte[] idx = File.ReadAllBytes(prefix + ".idx");
        byte[] bin = File.ReadAllBytes(prefix + ".bin");
        Assert.Equal("MMIDIDX\0\0", Encoding.ASCII.GetString(idx, 0, 9));
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(9)));
        byte code = idx[17];
        int itemSize = code switch { 1 or 2 => 1, 3 or 8 => 2, 4 => 4, 5 => 8, _ => throw new InvalidDataException($"dtype {code}") };
        long s = (long)BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(18));
        long d = (long)BinaryPrimitives.ReadUInt64LittleEndian(idx.AsSpan(26));
        Assert.Equal(34 + 12 * s + 8 * d, idx.LongLength);
        var lengths = new int[s];
        var pointers = new long[s];
        var docs = new long[d];
        for (int i = 0; i < s; i++) lengths[i] = BinaryPrimitives.ReadInt32LittleEndian(idx.AsSpan(34 + 4 * i));
        for (int i = 0; i < s; i++) pointers[i] = BinaryPrimitives.ReadInt64LittleEndian(idx.AsSpan((int)(34 + 4 * s + 8 * i)));
        for (int i = 0; i < d; i++) docs[i] = BinaryPrimitives.ReadInt64LittleEndian(idx.AsSpan((int)(34 + 12 * s + 8 * i)));
        Assert.Equal(0, docs[0]);
        Assert.Equal(s, docs[^1]);
        long expected = 0;
        var sequences = new List<long[]>();
        for (int i = 0; i < s; i++)
        {
            Assert.Equal(expected, pointers[i]);
            var seq = new long[lengths[i]];
            for (int j = 0; j < seq.Length; j++)
            {
                var v = bin.AsSpan((int)(pointers[i] + j * itemSize), itemSize);
                seq[j] = code switch
                {
                    1 => v[0],
                    2 => (sbyte)v[0],
                    3 => BinaryPrimitives.ReadInt16LittleEndian(v),
                    8 => BinaryPrimitives.ReadUInt16LittleEndian(v),
                    4 => BinaryPrimitives.ReadInt32LittleEndian(v),
                    _ => BinaryPrimitives.ReadInt64LittleEndian(v),
                };
            }
            sequences.Add(seq);
            expected += (long)lengths[i] * itemSize;
        }
        Assert.Equal(expected, bin.LongLength);
        return new Dataset(code, lengths, pointers, docs, sequences);
    }
}
