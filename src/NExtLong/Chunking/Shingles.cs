using System.Buffers;
using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace NExtLong.Chunking;

/// <summary>
/// Word 5-gram shingles of a text, as 64-bit hashes, for telling a near-copy from a merely similar text. The text
/// is normalised as datatrove's <c>simplify_text</c> does before MinHash: lowercase, every run of digits (with an
/// optional decimal part) becomes "0", punctuation and symbols become word breaks, whitespace collapses, and NFD
/// with the non-spacing marks dropped, so re-spacing, re-casing, accents and changed numbers do not hide a copy.
/// Words are runs of letters and digits. Each shingle is the XxHash3 of its words joined by one space (UTF-16).
/// A text of fewer than five words has one shingle, all its words; a text without words has none.
/// </summary>
internal static class Shingles
{
    public const int WordsPerShingle = 5;

    /// <summary>The distinct shingle hashes of <paramref name="text"/>, sorted ascending.</summary>
    public static ulong[] Of(ReadOnlySpan<char> text) => Of(text, out _);

    /// <summary>
    /// <see cref="Of(ReadOnlySpan{char})"/>, also giving the number of normalised words (MinHash, as datatrove, gives
    /// a text of fewer than <see cref="WordsPerShingle"/> words no signature).
    /// </summary>
    public static ulong[] Of(ReadOnlySpan<char> text, out int words)
    {
        // NFD only where needed: ASCII is its own decomposition.
        string? decomposed = System.Text.Ascii.IsValid(text) ? null : UnicodeNormalizer.Nfd.Normalize(text.ToString());
        ReadOnlySpan<char> source = decomposed ?? text;
        // Normalised text never outgrows the decomposed one (a digit run becomes one char, a lowercase rune keeps its length).
        char[] buffer = ArrayPool<char>.Shared.Rent(Math.Max(1, source.Length));
        int[] ends = ArrayPool<int>.Shared.Rent(source.Length / 2 + 1);
        try
        {
            Normalize(source, buffer, ends, out words);
            if (words == 0) return [];
            int count = Math.Max(1, words - WordsPerShingle + 1);
            var hashes = new ulong[count];
            for (int i = 0; i < count; i++)
            {
                // Word i starts one past the end of word i − 1 (the separating space).
                int start = i == 0 ? 0 : ends[i - 1] + 1;
                int end = ends[Math.Min(words, i + WordsPerShingle) - 1];
                hashes[i] = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(buffer.AsSpan(start, end - start)));
            }
            Array.Sort(hashes);
            int distinct = Distinct(hashes);
            return distinct == hashes.Length ? hashes : hashes[..distinct];
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
            ArrayPool<int>.Shared.Return(ends);
        }
    }

    /// <summary>
    /// Writes the normalised words of <paramref name="text"/> (already NFD) into <paramref name="destination"/>,
    /// one space between words, and each word's end into <paramref name="ends"/>; returns the length written.
    /// </summary>
    public static int Normalize(ReadOnlySpan<char> text, Span<char> destination, Span<int> ends, out int words)
    {
        int length = 0;
        words = 0;
        bool inWord = false, inDigits = false;
        Span<char> lower = stackalloc char[2];
        for (int i = 0; i < text.Length;)
        {
            if (Rune.DecodeFromUtf16(text[i..], out var rune, out int consumed) != OperationStatus.Done) rune = Rune.ReplacementChar;
            i += consumed;
            var category = Rune.GetUnicodeCategory(rune);
            if (category == UnicodeCategory.NonSpacingMark) continue;
            if (category == UnicodeCategory.DecimalDigitNumber)
            {
                if (!inDigits) Append("0", destination, ref length, ref inWord, words);
                inDigits = true;
                // "3.14" and "1,000" are one number, as datatrove's \d+([.,]\d+)? has it.
                if (i + 1 < text.Length && text[i] is '.' or ',' && Rune.DecodeFromUtf16(text[(i + 1)..], out var after, out _) == OperationStatus.Done
                    && Rune.GetUnicodeCategory(after) == UnicodeCategory.DecimalDigitNumber)
                    i++;
                continue;
            }
            inDigits = false;
            if (Rune.IsLetter(rune) || category is UnicodeCategory.SpacingCombiningMark or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber)
            {
                int n = Rune.ToLowerInvariant(rune).EncodeToUtf16(lower);
                Append(lower[..n], destination, ref length, ref inWord, words);
                continue;
            }
            if (inWord)
            {
                ends[words++] = length;
                inWord = false;
            }
        }
        if (inWord) ends[words++] = length;
        return length;
    }

    // Word characters go on the current word, or start a new one (after a space unless it is the first).
    private static void Append(ReadOnlySpan<char> chars, Span<char> destination, ref int length, ref bool inWord, int words)
    {
        if (!inWord)
        {
            if (words > 0) destination[length++] = ' ';
            inWord = true;
        }
        chars.CopyTo(destination[length..]);
        length += chars.Length;
    }

    /// <summary>Fraction of <paramref name="chunk"/>'s shingles found in <paramref name="other"/> (both sorted, distinct).</summary>
    public static double Containment(ReadOnlySpan<ulong> chunk, ReadOnlySpan<ulong> other)
    {
        if (chunk.Length == 0) return 0;
        int found = 0;
        foreach (ulong h in chunk)
            if (other.BinarySearch(h) >= 0) found++;
        return (double)found / chunk.Length;
    }

    /// <summary>
    /// Whether <see cref="Containment"/> is at least <paramref name="threshold"/>, stopping as soon as the answer
    /// is known (most candidates share few shingles with the meta-document and are settled early).
    /// </summary>
    public static bool ContainmentAtLeast(ReadOnlySpan<ulong> chunk, ReadOnlySpan<ulong> other, double threshold)
    {
        if (chunk.Length == 0) return false;
        // The fewest matches whose fraction reaches the threshold (ceil alone can overshoot by rounding: 0.7 · 10 > 7).
        int needed = (int)Math.Ceiling(threshold * chunk.Length), found = 0;
        if (needed > 0 && (double)(needed - 1) / chunk.Length >= threshold) needed--;
        // Both are sorted: each search starts where the last one ended and gallops, so a chunk costs about
        // log(gap) compares per shingle instead of log(|other|).
        for (int i = 0, from = 0; i < chunk.Length; i++)
        {
            int at = GallopTo(other, from, chunk[i]);
            if (at < other.Length && other[at] == chunk[i] && ++found >= needed) return true;
            if (found + chunk.Length - 1 - i < needed) return false;
            from = at;
        }
        return found >= needed;
    }

    /// <summary>The first index at or after <paramref name="from"/> whose value is not below <paramref name="value"/> (or the length).</summary>
    private static int GallopTo(ReadOnlySpan<ulong> sorted, int from, ulong value)
    {
        int step = 1, low = from, high = from;
        while (high < sorted.Length && sorted[high] < value)
        {
            low = high + 1;
            high += step;
            step <<= 1;
        }
        high = Math.Min(high, sorted.Length);
        while (low < high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            if (sorted[mid] < value) low = mid + 1;
            else high = mid;
        }
        return low;
    }

    /// <summary>
    /// Whether <see cref="Jaccard"/> is at least <paramref name="threshold"/>, stopping as soon as the answer is known:
    /// once the shingles in common reach the fewest that give it, or can no longer reach them.
    /// </summary>
    public static bool JaccardAtLeast(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, double threshold)
    {
        if (a.Length == 0 && b.Length == 0) return 0 >= threshold;
        int total = a.Length + b.Length, most = Math.Min(a.Length, b.Length);
        // Jaccard's own division grows with the count in common, so the answer is whether that count reaches the
        // fewest c where it is at least the threshold (the estimate is corrected both ways against rounding).
        static bool Reaches(int c, int total, double threshold) => (double)c / (total - c) >= threshold;
        int needed = (int)Math.Clamp(Math.Ceiling(threshold * total / (1 + threshold)), 0, most);
        while (needed > 0 && Reaches(needed - 1, total, threshold)) needed--;
        while (needed <= most && !Reaches(needed, total, threshold)) needed++;
        if (needed > most) return false;
        int i = 0, j = 0, common = 0;
        while (common < needed)
        {
            if (common + Math.Min(a.Length - i, b.Length - j) < needed) return false;
            if (a[i] == b[j]) { common++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return true;
    }

    /// <summary>Jaccard similarity of two sorted, distinct shingle sets.</summary>
    public static double Jaccard(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length == 0 && b.Length == 0) return 0;
        int i = 0, j = 0, common = 0;
        while (i < a.Length && j < b.Length)
        {
            if (a[i] == b[j]) { common++; i++; j++; }
            else if (a[i] < b[j]) i++;
            else j++;
        }
        return (double)common / (a.Length + b.Length - common);
    }

    private static int Distinct(Span<ulong> sorted)
    {
        if (sorted.Length == 0) return 0;
        int n = 1;
        for (int i = 1; i < sorted.Length; i++)
            if (sorted[i] != sorted[n - 1]) sorted[n++] = sorted[i];
        return n;
    }
}
