namespace NExtLong.Retrieval;

/// <summary>
/// A chunk's length in one byte, exactly as Lucene stores a BM25 field norm: SmallFloat's 3-bit-mantissa encoding
/// of 1/√length. Storing the same lossy length is what makes our scores equal Lucene's bit for bit; the loss costs
/// no measurable effectiveness (Kamphuis et al., ECIR 2020).
/// </summary>
internal static class Bm25Norms
{
    /// <summary>The byte Lucene 4.8's BM25Similarity writes for a field of <paramref name="length"/> tokens.</summary>
    public static byte Encode(int length)
    {
        float f = 1f / (float)Math.Sqrt(length);
        int bits = BitConverter.SingleToInt32Bits(f);
        int small = bits >> (24 - 3);
        const int zero = (63 - 15) << 3;
        if (small <= zero) return bits <= 0 ? (byte)0 : (byte)1;
        if (small >= zero + 0x100) return 255;
        return (byte)(small - zero);
    }

    /// <summary>The length a norm byte stands for: 1/f² of its decoded value (Lucene's NORM_TABLE).</summary>
    public static float DecodeLength(byte norm)
    {
        float f = norm == 0 ? 0f : BitConverter.Int32BitsToSingle((norm << (24 - 3)) + ((63 - 15) << 24));
        return 1.0f / (f * f);
    }
}
