namespace NExtLong.Tokenization;

/// <summary>
/// tiktoken's encoding over a shared <see cref="TiktokenRankMap"/>: pre-tokens (<see cref="TiktokenPreTokenizer"/>),
/// each taken whole where it is a token, else merged byte pair by byte pair, lowest rank first. It gives exactly the
/// ids, counts and budget cuts of Microsoft.ML.Tokenizers 2.0.1's TiktokenTokenizer with the same pre-tokenizer
/// (TiktokenTableTests compare them on every tokenizer), at the cost of a word cache instead of a table build.
/// </summary>
/// <remarks>
/// One thread at a time: the word cache and scratch buffers are unlocked. Making one costs nothing but its cache, so a
/// thread that finds none free makes one.
/// </remarks>
internal sealed class TiktokenEncoder : ITokenEncoder
{
    /// <summary>Pre-tokens up to this length have their merges cached (the library's limit: longer words seldom recur).</summary>
    private const int MaxCachedChars = 15;

    /// <summary>Cached words before the cache starts over.</summary>
    private const int CacheCapacity = 16_384;

    private readonly TiktokenRankMap _map;
    private readonly TiktokenPreTokenizer _preTokenizer;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cached;
    private byte[] _utf8 = new byte[64];
    private int[] _charAt = new int[65];
    private int[] _starts = new int[65];
    private int[] _ranks = new int[65];
    private readonly List<int> _scratchIds = [];

    public TiktokenEncoder(TiktokenRankMap map, TiktokenPreTokenizer preTokenizer)
    {
        _map = map;
        _preTokenizer = preTokenizer;
        _cached = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public IReadOnlyList<int> EncodeToIds(ReadOnlySpan<char> text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        for (int at = 0; at < text.Length;)
        {
            int length = _preTokenizer.NextLength(text, at);
            AddPiece(text.Slice(at, length), ids);
            at += length;
        }
        return ids;
    }

    public int CountTokens(ReadOnlySpan<char> text)
    {
        int count = 0;
        for (int at = 0; at < text.Length;)
        {
            int length = _preTokenizer.NextLength(text, at);
            count += CountPiece(text.Slice(at, length));
            at += length;
        }
        return count;
    }

    public int IndexByTokenCount(ReadOnlySpan<char> text, int maxTokens, out string? normalized, out int tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        normalized = null;
        int count = 0, consumed = 0;
        for (int at = 0; at < text.Length;)
        {
            int length = _preTokenizer.NextLength(text, at);
            ReadOnlySpan<char> piece = text.Slice(at, length);
            int pieceTokens = CountPiece(piece);
            int pieceChars = length;
            if (pieceTokens > maxTokens - count)
                pieceTokens = PartialPiece(piece, maxTokens - count, out pieceChars);
            count += pieceTokens;
            consumed = at + pieceChars;
            if (pieceChars < length || count >= maxTokens)
                break;
            at += length;
        }
        tokens = count;
        return consumed;
    }

    private void AddPiece(ReadOnlySpan<char> piece, List<int> ids)
    {
        int bytes = ToUtf8(piece, mapChars: false);  // first: it may grow _utf8
        ReadOnlySpan<byte> utf8 = _utf8.AsSpan(0, bytes);
        int whole = _map.WholeRank(utf8);
        if (whole >= 0)
            ids.Add(whole);
        else
            ids.AddRange(MergedIds(piece, utf8));
    }

    private int CountPiece(ReadOnlySpan<char> piece)
    {
        int bytes = ToUtf8(piece, mapChars: false);  // first: it may grow _utf8
        ReadOnlySpan<byte> utf8 = _utf8.AsSpan(0, bytes);
        return _map.WholeRank(utf8) >= 0 ? 1 : MergedIds(piece, utf8).Length;
    }

    // The ids of a pre-token that is not taken whole: cached, or merged (and cached if short), valid until the next call.
    private ReadOnlySpan<int> MergedIds(ReadOnlySpan<char> piece, ReadOnlySpan<byte> utf8)
    {
        bool cacheable = piece.Length <= MaxCachedChars;
        if (cacheable && _cached.TryGetValue(piece, out int[]? hit))
            return hit;
        _scratchIds.Clear();
        int parts = Merge(utf8);
        for (int i = 0; i < parts; i++)
            _scratchIds.Add(PartRank(utf8, i));
        ReadOnlySpan<int> ids = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_scratchIds);
        if (cacheable)
        {
            if (_cache.Count >= CacheCapacity)
                _cache.Clear();
            _cached[piece] = ids.ToArray();
        }
        return ids;
    }

    /// <summary>
    /// The tokens of a pre-token that exceeds the <paramref name="budget"/>, as the library cuts it: tokens are taken
    /// in order, but tokens that share a character (a character split between tokens) only all together.
    /// </summary>
    private int PartialPiece(ReadOnlySpan<char> piece, int budget, out int chars)
    {
        int bytes = ToUtf8(piece, mapChars: true);
        ReadOnlySpan<byte> utf8 = _utf8.AsSpan(0, bytes);
        _charAt[bytes] = piece.Length;
        int parts = Merge(utf8);
        // Each token's UTF-16 start and end: a token ending inside a character takes the whole character.
        Span<(int Index, int End)> tokens = parts <= 128 ? stackalloc (int, int)[parts] : new (int, int)[parts];
        for (int i = 0; i < parts; i++)
        {
            int endByte = _starts[i + 1];
            int mappedEnd = _charAt[endByte];
            int finalEnd = endByte;
            if (finalEnd > 0 && _charAt[finalEnd - 1] == mappedEnd)
            {
                finalEnd++;
                while (finalEnd <= bytes && _charAt[finalEnd] == mappedEnd)
                    finalEnd++;
            }
            tokens[i] = (_charAt[_starts[i]], _charAt[finalEnd]);
        }
        chars = 0;
        int count;
        for (count = 0; count < budget; count++)
        {
            int overlap = tokens[count].End;
            if (tokens[count + 1].Index < overlap)
            {
                int j = count + 2;
                while (j < parts && tokens[j].Index < overlap)
                    j++;
                if (j > budget)
                    break;
                count = j - 1;
            }
            chars = tokens[count].End;
        }
        return count;
    }

    /// <summary>
    /// tiktoken's byte_pair_merge as the library runs it: from single bytes, repeatedly merge the adjacent pair whose
    /// joined bytes have the lowest rank (the leftmost of equals) until no joined pair is a token. Leaves the parts'
    /// byte starts in <see cref="_starts"/> (and the end after the last); returns the number of parts.
    /// </summary>
    private int Merge(ReadOnlySpan<byte> utf8)
    {
        int n = utf8.Length + 1;
        if (_starts.Length < n)
        {
            _starts = new int[Math.Max(n, _starts.Length * 2)];
            _ranks = new int[_starts.Length];
        }
        Span<int> starts = _starts.AsSpan(0, n), ranks = _ranks.AsSpan(0, n);
        for (int i = 0; i < n; i++)
        {
            starts[i] = i;
            ranks[i] = int.MaxValue;
        }
        if (utf8.Length == 1)
            return 1;
        for (int i = 0; i + 2 < n; i++)
            ranks[i] = PairRank(utf8, starts, n, i, 0);
        while (n > 1)
        {
            int best = 0, bestRank = int.MaxValue;
            for (int i = 0; i < n - 1; i++)
            {
                if (ranks[i] < bestRank)
                    (best, bestRank) = (i, ranks[i]);
            }
            if (bestRank == int.MaxValue)
                break;
            ranks[best] = PairRank(utf8, starts, n, best, 1);
            if (best > 0)
                ranks[best - 1] = PairRank(utf8, starts, n, best - 1, 1);
            starts[(best + 2)..n].CopyTo(starts[(best + 1)..]);
            ranks[(best + 2)..n].CopyTo(ranks[(best + 1)..]);
            n--;
        }
        return n - 1;
    }

    // The rank of the parts from i through i + 1 + skip joined, if they are a token.
    private int PairRank(ReadOnlySpan<byte> utf8, ReadOnlySpan<int> starts, int n, int i, int skip)
    {
        if (i + skip + 2 >= n)
            return int.MaxValue;
        int rank = _map.Rank(utf8[starts[i]..starts[i + skip + 2]]);
        return rank < 0 ? int.MaxValue : rank;
    }

    private int PartRank(ReadOnlySpan<byte> utf8, int part)
    {
        int rank = _map.Rank(utf8[_starts[part].._starts[part + 1]]);
        return rank >= 0 ? rank : throw new InvalidDataException($"the tiktoken ranks have no token for byte 0x{utf8[_starts[part]]:X2}");
    }

    /// <summary>
    /// The pre-token's bytes as the library makes them: UTF-8, a lone surrogate as the three bytes of its code unit
    /// (not U+FFFD). With <paramref name="mapChars"/>, <see cref="_charAt"/>[b] is the index of the character byte b is of.
    /// </summary>
    private int ToUtf8(ReadOnlySpan<char> text, bool mapChars)
    {
        int most = text.Length * 3;
        if (_utf8.Length < most)
        {
            _utf8 = new byte[Math.Max(most, _utf8.Length * 2)];
            _charAt = new int[_utf8.Length + 1];
        }
        Span<byte> d = _utf8;
        Span<int> map = _charAt;
        int t = 0;
        for (int i = 0; i < text.Length; i++)
        {
            uint c = text[i];
            int from = t;
            if (c <= 0x7F)
            {
                d[t++] = (byte)c;
            }
            else if (c <= 0x7FF)
            {
                d[t++] = (byte)(0xC0 | (c >> 6));
                d[t++] = (byte)(0x80 | (c & 0x3F));
            }
            else if (i + 1 < text.Length && char.IsSurrogatePair((char)c, text[i + 1]))
            {
                uint v = (uint)char.ConvertToUtf32((char)c, text[i + 1]);
                d[t++] = (byte)(0xF0 | (v >> 18));
                d[t++] = (byte)(0x80 | ((v >> 12) & 0x3F));
                d[t++] = (byte)(0x80 | ((v >> 6) & 0x3F));
                d[t++] = (byte)(0x80 | (v & 0x3F));
                if (mapChars) map[from..t].Fill(i);
                i++;
                continue;
            }
            else
            {
                d[t++] = (byte)(0xE0 | (c >> 12));
                d[t++] = (byte)(0x80 | ((c >> 6) & 0x3F));
                d[t++] = (byte)(0x80 | (c & 0x3F));
            }
            if (mapChars) map[from..t].Fill(i);
        }
        return t;
    }
}
