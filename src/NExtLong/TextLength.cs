using System.Text;

namespace NExtLong;

/// <summary>
/// Character counts as the paper's Python code counts them: Unicode scalar values (Python's len()),
/// not UTF-16 code units, so that s = 2048 means the same thing here as in chunking.py.
/// </summary>
internal static class TextLength
{
    /// <summary>Number of Unicode scalar values in <paramref name="text"/> (a lone surrogate counts as one).</summary>
    public static int Of(ReadOnlySpan<char> text)
    {
        // Most text has no surrogate at all: a vectorized search jumps from one surrogate to the next.
        int surrogatePairs = 0;
        int i = text.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0 && i + 1 < text.Length)
        {
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                surrogatePairs++;
                i++;
            }
            int next = text[++i..].IndexOfAnyInRange('\uD800', '\uDFFF');
            i = next < 0 ? -1 : i + next;
        }
        return text.Length - surrogatePairs;
    }

    /// <summary>UTF-16 index of the first char after <paramref name="scalars"/> scalar values from the start.</summary>
    public static int Utf16IndexOf(ReadOnlySpan<char> text, int scalars)
    {
        int i = 0;
        for (int n = 0; n < scalars && i < text.Length; n++)
            i += i + 1 < text.Length && char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        return i;
    }
}
