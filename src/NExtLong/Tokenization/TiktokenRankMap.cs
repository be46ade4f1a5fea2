using System.Runtime.InteropServices;
using System.Text.Unicode;

namespace NExtLong.Tokenization;

/// <summary>
/// A tiktoken rank table laid out for lookup by a token's bytes: every token's bytes in one array, and an
/// open-addressing table of entry numbers. Immutable once built, so every thread's <see cref="TiktokenEncoder"/>
/// shares one.
/// </summary>
/// <remarks>
/// Why not the library's tables: a Microsoft.ML.Tokenizers Tiktoken instance builds three dictionaries and two
/// objects per token (~100 ms of a core and ~20 MB of new memory, cl100k_base), and its word cache, locked on every
/// pre-token, cannot be shared by threads, so each thread needed an instance of its own. This table is four arrays
/// written in order (10–20 ms of a core), built once a run. Its slots are written before they are read: on a freshly mapped page
/// a read maps the shared zero page and the next write then copies it, which costs a TLB shootdown on every other
/// core running the process (the dictionaries' buckets cost hundreds per build).
/// </remarks>
internal sealed class TiktokenRankMap
{
    private readonly byte[] _bytes;
    private readonly int[] _starts;
    private readonly int[] _ranks;
    /// <summary>Whether a token's bytes are UTF-8 whose text holds no U+FFFD: the library's shortcut for a whole pre-token (its "vocab").</summary>
    private readonly bool[] _clean;
    private readonly int[] _slots;
    private readonly int _mask;

    private TiktokenRankMap(byte[] bytes, int[] starts, int[] ranks, bool[] clean, int[] slots, ushort[] tokenBytes)
    {
        TokenBytes = tokenBytes;
        _bytes = bytes;
        _starts = starts;
        _ranks = ranks;
        _clean = clean;
        _slots = slots;
        _mask = slots.Length - 1;
    }

    /// <summary>Distinct tokens in the table.</summary>
    public int Count => _ranks.Length;

    /// <summary>The UTF-8 length of every id's token, special tokens included (0 for ids that are none): token offsets follow from the ids alone.</summary>
    public ushort[] TokenBytes { get; }

    /// <summary>
    /// Builds the map from a rank file's lines (<see cref="TiktokenTable.RankLines"/>) and the special tokens numbered
    /// after them; a token listed twice keeps its last rank, as the library's dictionaries do.
    /// </summary>
    /// <exception cref="InvalidDataException">A token is not base64.</exception>
    public static TiktokenRankMap Build(ReadOnlySpan<byte> rankFile, IReadOnlyDictionary<string, int>? specialTokens = null)
    {
        int capacity = 0, totalBytes = 0, ids = 0;
        var lines = new TiktokenTable.RankLines(rankFile);
        while (lines.MoveNext())
        {
            capacity++;
            totalBytes += System.Buffers.Text.Base64.GetMaxDecodedFromUtf8Length(lines.Base64.Length);
            ids = Math.Max(ids, lines.Rank + 1);
        }
        foreach (int id in specialTokens?.Values ?? [])
            ids = Math.Max(ids, id + 1);
        var tokenBytes = new ushort[ids];
        var bytes = new byte[totalBytes];
        var starts = new int[capacity + 1];
        var ranks = new int[capacity];
        var clean = new bool[capacity];
        var slots = new int[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2))];
        Array.Fill(slots, -1);
        var map = new TiktokenRankMap(bytes, starts, ranks, clean, slots, tokenBytes);
        int count = 0, at = 0;
        lines = new TiktokenTable.RankLines(rankFile);
        while (lines.MoveNext())
        {
            if (System.Buffers.Text.Base64.DecodeFromUtf8(lines.Base64, bytes.AsSpan(at), out _, out int written) != System.Buffers.OperationStatus.Done)
                throw new InvalidDataException($"tiktoken rank {lines.Rank}: the token is not base64");
            ReadOnlySpan<byte> token = bytes.AsSpan(at, written);
            tokenBytes[lines.Rank] = checked((ushort)written);
            int slot = map.Find(token);
            if (slots[slot] >= 0)
            {
                ranks[slots[slot]] = lines.Rank;
                continue;
            }
            at += written;
            starts[count + 1] = at;
            ranks[count] = lines.Rank;
            clean[count] = Utf8.IsValid(token) && token.IndexOf("\uFFFD"u8) < 0;
            slots[slot] = count++;
        }
        foreach ((string token, int id) in specialTokens ?? new Dictionary<string, int>())
            tokenBytes[id] = checked((ushort)System.Text.Encoding.UTF8.GetByteCount(token));
        return count == capacity ? map : new TiktokenRankMap(bytes, starts[..(count + 1)], ranks[..count], clean[..count], slots, tokenBytes);
    }

    /// <summary>The rank of a token's bytes, or -1 when they are not a token.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public int Rank(ReadOnlySpan<byte> token)
    {
        int entry = _slots[Find(token)];
        return entry < 0 ? -1 : _ranks[entry];
    }

    /// <summary>The rank of a whole pre-token where the library takes it in one step (a token whose text is clean); else -1.</summary>
    public int WholeRank(ReadOnlySpan<byte> token)
    {
        int entry = _slots[Find(token)];
        return entry >= 0 && _clean[entry] ? _ranks[entry] : -1;
    }

    // The slot holding the token, or the empty slot where it would go (the table is never more than half full).
    private int Find(ReadOnlySpan<byte> token)
    {
        int slot = (int)Hash(token) & _mask;
        while (true)
        {
            int entry = _slots[slot];
            if (entry < 0) return slot;
            int start = _starts[entry];
            if (_starts[entry + 1] - start == token.Length && token.SequenceEqual(_bytes.AsSpan(start, token.Length)))
                return slot;
            slot = (slot + 1) & _mask;
        }
    }

    // Tokens are short (most under 8 bytes): eight bytes at a time, mixed; not for adversarial keys (the keys are the table's).
    private static ulong Hash(ReadOnlySpan<byte> s)
    {
        ulong h = (ulong)s.Length * 0x9E3779B97F4A7C15UL;
        while (s.Length >= 8)
        {
            h = (h ^ MemoryMarshal.Read<ulong>(s)) * 0xFF51AFD7ED558CCDUL;
            h ^= h >> 32;
            s = s[8..];
        }
        ulong tail = 0;
        for (int i = 0; i < s.Length; i++)
            tail |= (ulong)s[i] << (8 * i);
        h = (h ^ tail) * 0xC4CEB9FE1A85EC53UL;
        return h ^ (h >> 29);
    }
}
