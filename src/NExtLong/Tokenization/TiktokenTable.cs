using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>
/// What a tiktoken-family tokenizer is made from: its rank file ("base64 rank" lines), pre-tokenizer and special
/// tokens. Kept so that <see cref="TargetTokenizer"/> can make more instances cheaply: each Microsoft.ML.Tokenizers
/// instance has one lock-protected word cache, which parallel workers would otherwise all contend on.
/// </summary>
internal sealed record TiktokenTable(byte[] Ranks, TiktokenPreTokenizer PreTokenizer, IReadOnlyDictionary<string, int> SpecialTokens)
{
    public TiktokenTokenizer Create()
    {
        using var stream = new MemoryStream(Ranks, writable: false);
        return TiktokenTokenizer.Create(stream, PreTokenizer, normalizer: null, SpecialTokens);
    }

    /// <summary>XxHash64 of the ranks, the pre-tokenizer's pattern and the special tokens: what makes the ids.</summary>
    public ulong Checksum()
    {
        var hash = new System.IO.Hashing.XxHash64();
        hash.Append(Ranks);
        hash.Append(System.Text.Encoding.UTF8.GetBytes(PreTokenizer.Pattern.ToString()));
        foreach ((string token, int id) in SpecialTokens.OrderBy(p => p.Value))
            hash.Append(System.Text.Encoding.UTF8.GetBytes($"\n{id} {token}"));
        return hash.GetCurrentHashAsUInt64();
    }

    /// <summary>The UTF-8 length of every id's token, special tokens included (0 for ids that are none).</summary>
    public ushort[] TokenLengths()
    {
        var lengths = new List<ushort>();
        void Set(int id, int bytes)
        {
            while (lengths.Count <= id)
                lengths.Add(0);
            lengths[id] = checked((ushort)bytes);
        }
        var lines = new RankLines(Ranks);
        while (lines.MoveNext())
            Set(lines.Rank, DecodedLength(lines.Base64));
        foreach ((string token, int id) in SpecialTokens)
            Set(id, System.Text.Encoding.UTF8.GetByteCount(token));
        return [.. lengths];
    }

    /// <summary>
    /// The ids of a short <paramref name="text"/> (special-token strings as plain text), by tiktoken's byte-pair merge
    /// straight from the rank lines: one pass over them instead of an instance's tables (~100 ms of a core and a
    /// collection), so that a run's tokenizer probe does not wait for the instance its workers will use. The same
    /// ids as an instance's (TiktokenTableTests); the cost grows with the square of the longest pre-token.
    /// </summary>
    public int[] EncodeFromRanks(string text)
    {
        // Pre-tokens as UTF-8, one char a byte, so that a set of strings holds every byte string a merge may ask for.
        var pieces = new List<string>();
        foreach ((int offset, int length) in PreTokenizer.PreTokenize(text))
            pieces.Add(System.Text.Encoding.Latin1.GetString(System.Text.Encoding.UTF8.GetBytes(text, offset, length)));
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        int longest = 0;
        foreach (string piece in pieces)
        {
            longest = Math.Max(longest, piece.Length);
            for (int start = 0; start < piece.Length; start++)
                for (int end = start + 1; end <= piece.Length; end++)
                    wanted.Add(piece[start..end]);
        }
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        var lookup = wanted.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<byte> bytes = new byte[longest + 3];
        Span<char> chars = new char[longest];
        var lines = new RankLines(Ranks);
        while (lines.MoveNext())
        {
            int length = DecodedLength(lines.Base64);
            if (length > longest || System.Buffers.Text.Base64.DecodeFromUtf8(lines.Base64, bytes, out _, out int written) != System.Buffers.OperationStatus.Done)
                continue;
            for (int i = 0; i < written; i++)
                chars[i] = (char)bytes[i];
            if (lookup.TryGetValue(chars[..written], out string? token))
                ranks.TryAdd(token, lines.Rank);
        }
        var ids = new List<int>();
        foreach (string piece in pieces)
            MergeBytePairs(piece, ranks, ids);
        return [.. ids];
    }

    // tiktoken's byte_pair_merge: a whole pre-token that is a token is that token; otherwise from single bytes, merge
    // the adjacent pair whose joined bytes rank lowest (the leftmost of equals) until no joined pair is a token.
    private static void MergeBytePairs(string piece, Dictionary<string, int> ranks, List<int> ids)
    {
        if (ranks.TryGetValue(piece, out int whole))
        {
            ids.Add(whole);
            return;
        }
        var bounds = Enumerable.Range(0, piece.Length + 1).ToList();
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 2 < bounds.Count; i++)
                if (ranks.TryGetValue(piece[bounds[i]..bounds[i + 2]], out int rank) && rank < bestRank)
                    (best, bestRank) = (i, rank);
            if (best < 0)
                break;
            bounds.RemoveAt(best + 1);
        }
        for (int i = 0; i + 1 < bounds.Count; i++)
            ids.Add(ranks.TryGetValue(piece[bounds[i]..bounds[i + 1]], out int rank)
                ? rank
                : throw new InvalidDataException($"the tiktoken ranks have no token for byte 0x{(int)piece[bounds[i]]:X2}"));
    }

    // Decoded length of a base64 token: three bytes per four chars, less the padding.
    private static int DecodedLength(ReadOnlySpan<byte> base64) =>
        base64.Length / 4 * 3 - (base64.EndsWith("=="u8) ? 2 : base64.EndsWith("="u8) ? 1 : 0);

    /// <summary>
    /// The (base64 token, rank) lines of a rank file, in the forms Microsoft.ML.Tokenizers reads: an optional
    /// "Capacity: N" line, then "base64 rank" lines, or bare base64 lines ranked by line number from the first
    /// non-empty line.
    /// </summary>
    private ref struct RankLines
    {
        private ReadOnlySpan<byte> _rest;
        private int _lineNumber;
        private bool _started;

        public RankLines(ReadOnlySpan<byte> file)
        {
            if (file.StartsWith("Capacity: "u8))
                file = file[(file.IndexOf((byte)'\n') + 1)..];
            _rest = file;
        }

        public ReadOnlySpan<byte> Base64 { get; private set; }

        public int Rank { get; private set; }

        public bool MoveNext()
        {
            while (!_rest.IsEmpty)
            {
                int newline = _rest.IndexOf((byte)'\n');
                ReadOnlySpan<byte> line = (newline < 0 ? _rest : _rest[..newline]).TrimEnd((byte)'\r');
                _rest = newline < 0 ? [] : _rest[(newline + 1)..];
                if (line.IsEmpty && !_started)
                    continue;
                _started = true;
                int number = _lineNumber++;
                if (line.IsEmpty)
                    continue;
                int space = line.IndexOf((byte)' ');
                Base64 = space < 0 ? line : line[..space];
                int rank = number;
                if (space >= 0 && !System.Buffers.Text.Utf8Parser.TryParse(line[(space + 1)..], out rank, out _))
                    throw new InvalidDataException($"tiktoken rank line {number + 1} has no rank");
                Rank = rank;
                return true;
            }
            return false;
        }
    }
}
