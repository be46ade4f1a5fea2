using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>
/// What a tiktoken-family tokenizer is made from: its rank file ("base64 rank" lines), pre-tokenizer and special
/// tokens: <see cref="TargetTokenizer"/> encodes over a <see cref="TiktokenRankMap"/> of the ranks, and builds the
/// Microsoft.ML.Tokenizers instance (<see cref="Create"/>) only for decoding and vocabulary queries.
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

    /// <summary>
    /// The (base64 token, rank) lines of a rank file, in the forms Microsoft.ML.Tokenizers reads: an optional
    /// "Capacity: N" line, then "base64 rank" lines, or bare base64 lines ranked by line number from the first
    /// non-empty line.
    /// </summary>
    internal ref struct RankLines
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
