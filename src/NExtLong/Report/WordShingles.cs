namespace NExtLong.Report;

/// <summary>
/// Word 5-grams as 64-bit hashes: words are runs of letters and digits, lower-cased, so punctuation and spacing
/// differences between a chunk and its copy do not hide the copy. Used to find false negatives.
/// </summary>
internal static class WordShingles
{
    public const int N = 5;

    /// <summary>Adds the distinct 5-grams of <paramref name="text"/> to <paramref name="into"/>.</summary>
    public static void Add(ReadOnlySpan<char> text, HashSet<ulong> into)
    {
        Span<ulong> window = stackalloc ulong[N];
        int words = 0;
        for (int i = 0; i < text.Length;)
        {
            if (!char.IsLetterOrDigit(text[i])) { i++; continue; }
            ulong word = 14695981039346656037UL;
            for (; i < text.Length && char.IsLetterOrDigit(text[i]); i++)
                word = (word ^ char.ToLowerInvariant(text[i])) * 1099511628211UL;
            window[words++ % N] = word;
            if (words < N) continue;
            ulong gram = 0;
            for (int j = 0; j < N; j++)
                gram = (gram ^ window[(words + j) % N]) * 0x9E3779B97F4A7C15UL + (ulong)j;
            into.Add(gram);
        }
    }
}
