using System.Buffers;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace NExtLong.Dedup;

/// <summary>
/// The key two texts share when they are exact duplicates up to Unicode normalisation (NFC), case (invariant
/// lowercase) and whitespace (every run one space, none at the ends): XxHash128 of that normal form's UTF-16 code
/// units. 128 bits so that a billion documents still collide with probability about 10^-21.
/// </summary>
internal static class ExactKey
{
    public static UInt128 Of(string text)
    {
        string composed = UnicodeNormalizer.Nfc.Normalize(text);
        // Lowercasing a rune never lengthens it in UTF-16, and whitespace only shrinks.
        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, composed.Length));
        try
        {
            int length = 0;
            bool space = false;
            Span<char> lower = stackalloc char[2];
            foreach (var rune in composed.EnumerateRunes())
            {
                if (Rune.IsWhiteSpace(rune))
                {
                    space = length > 0;
                    continue;
                }
                if (space) buffer[length++] = ' ';
                space = false;
                int n = Rune.ToLowerInvariant(rune).EncodeToUtf16(lower);
                lower[..n].CopyTo(buffer.AsSpan(length));
                length += n;
            }
            return XxHash128.HashToUInt128(MemoryMarshal.AsBytes(buffer.AsSpan(0, length)));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }
}
