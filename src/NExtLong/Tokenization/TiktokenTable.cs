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
        // The forms Microsoft.ML.Tokenizers reads: an optional "Capacity: N" line, then "base64 rank" lines, or
        // bare base64 lines ranked by line number from the first non-empty line.
        ReadOnlySpan<byte> file = Ranks;
        if (file.StartsWith("Capacity: "u8))
            file = file[(file.IndexOf((byte)'\n') + 1)..];
        int lineNumber = 0;
        foreach (Range range in file.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = file[range].TrimEnd((byte)'\r');
            if (line.IsEmpty && lineNumber == 0)
                continue;
            int number = lineNumber++;
            if (line.IsEmpty)
                continue;
            int space = line.IndexOf((byte)' ');
            ReadOnlySpan<byte> base64 = space < 0 ? line : line[..space];
            int rank = number;
            if (space >= 0 && !System.Buffers.Text.Utf8Parser.TryParse(line[(space + 1)..], out rank, out _))
                throw new InvalidDataException($"tiktoken rank line {number + 1} has no rank");
            // Decoded length of the base64 token: three bytes per four chars, less the padding.
            Set(rank, base64.Length / 4 * 3 - (base64.EndsWith("=="u8) ? 2 : base64.EndsWith("="u8) ? 1 : 0));
        }
        foreach ((string token, int id) in SpecialTokens)
            Set(id, System.Text.Encoding.UTF8.GetByteCount(token));
        return [.. lengths];
    }
}
