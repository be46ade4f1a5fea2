namespace NExtLong.Tokenization;

/// <summary>
/// GPT-2's bytes_to_unicode table, which byte-level BPE vocabularies use to spell raw bytes as printable
/// characters: printable Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100 upwards in byte order.
/// </summary>
internal static class GptByteLevel
{
    public static IReadOnlyList<char> ByteToChar { get; } = BuildByteToChar();

    private static readonly short[] CharToByte = BuildCharToByte();

    /// <summary>The byte <paramref name="c"/> stands for, or -1 if it is not a byte-level character.</summary>
    public static int ByteOf(char c) => c < CharToByte.Length ? CharToByte[c] : -1;

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[256 + 68];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++)
            table[ByteToChar[b]] = (short)b;
        return table;
    }
}
