using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace NExtLong.Tokenization;

/// <summary>
/// Turns a Hugging Face tokenizer.json holding a byte-level BPE whose merge order is its id order, with Llama 3's
/// pre-tokenizer regex (Llama 3's own file), into a <see cref="TiktokenTokenizer"/>: Microsoft.ML.Tokenizers cannot read tokenizer.json, but such a file is a
/// tiktoken rank table in disguise: token bytes = the vocab string mapped back through GPT-2's byte↔unicode table,
/// rank = id.
/// </summary>
/// <remarks>
/// The equivalence holds only if HF's merge-by-priority gives tiktoken's merge-lowest-rank-first, so the conversion
/// checks it and throws <see cref="InvalidDataException"/> otherwise: merges sorted by the rank of their result, each
/// pair distinct, and the merges are exactly all splits of vocab tokens into two vocab tokens; and ignore_merges is
/// on, which is tiktoken's "a whole pre-token in the vocab is one token".
/// </remarks>
internal static class ByteLevelBpeConverter
{
    private static readonly SearchValues<char> WordChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    public static TiktokenTable CreateTiktoken(Stream tokenizerJson)
    {
        using var document = JsonDocument.Parse(tokenizerJson, new JsonDocumentOptions { MaxDepth = 256 });
        JsonElement root = document.RootElement;
        if (root.TryGetProperty("normalizer", out JsonElement normalizer) && normalizer.ValueKind != JsonValueKind.Null)
            throw Invalid("has a normalizer; only byte-level BPE without normalization converts to tiktoken");
        // The stable-boundary proof (ExactTruncation) and the <|word|> argument below are made for this regex.
        if (SplitPattern(root.GetProperty("pre_tokenizer")) != Llama3Format.Pattern)
            throw Invalid("splits with a regex other than Llama 3's");

        JsonElement model = root.GetProperty("model");
        if (model.GetProperty("type").GetString() != "BPE")
            throw Invalid("model.type is not BPE");
        if (!model.TryGetProperty("ignore_merges", out JsonElement ignoreMerges) || !ignoreMerges.GetBoolean())
            throw Invalid("model.ignore_merges is not true, so whole-word vocab hits would not be tiktoken's");
        if (model.TryGetProperty("byte_fallback", out JsonElement byteFallback) && byteFallback.GetBoolean())
            throw Invalid("model.byte_fallback is set; byte-level BPE has no fallback");

        Dictionary<string, int> vocab = ReadVocab(model.GetProperty("vocab"));
        CheckMergesFollowRanks(model.GetProperty("merges"), vocab);

        var specialTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonElement added in root.GetProperty("added_tokens").EnumerateArray())
        {
            string content = added.GetProperty("content").GetString()!;
            int id = added.GetProperty("id").GetInt32();
            if (id < vocab.Count)
                throw Invalid($"added token {content} reuses regular id {id}");
            // Only <|word|> tokens: the pre-tokenizer splits "<|" from the word, so no pre-token can equal one and
            // hit the library's cached special-token entry (see OpenAiEncodings); such text stays plain text.
            if (!IsAngleBarWord(content))
                throw Invalid($"has added token {content}, which is not of the form <|word|>");
            specialTokens.Add(content, id);
        }

        return new TiktokenTable(TiktokenRankFile(vocab), TiktokenPreTokenizer.Llama3, specialTokens);
    }

    private static string SplitPattern(JsonElement preTokenizer)
    {
        // Expected: Sequence[Split(Regex, Isolated), ByteLevel(use_regex: false)], as in Llama 3.
        if (preTokenizer.GetProperty("type").GetString() != "Sequence")
            throw Invalid("pre_tokenizer is not a Sequence of Split and ByteLevel");
        string? pattern = null;
        bool byteLevel = false;
        foreach (JsonElement step in preTokenizer.GetProperty("pretokenizers").EnumerateArray())
        {
            switch (step.GetProperty("type").GetString())
            {
                case "Split" when pattern is null
                                  && step.GetProperty("behavior").GetString() == "Isolated"
                                  && !step.GetProperty("invert").GetBoolean()
                                  && step.GetProperty("pattern").TryGetProperty("Regex", out JsonElement regex):
                    pattern = regex.GetString();
                    break;
                case "ByteLevel" when !step.GetProperty("use_regex").GetBoolean()
                                      && !step.GetProperty("add_prefix_space").GetBoolean():
                    byteLevel = true;
                    break;
                default:
                    throw Invalid($"unsupported pre_tokenizer step {step.GetRawText()}");
            }
        }
        if (pattern is null || !byteLevel)
            throw Invalid("pre_tokenizer lacks a Split regex or the ByteLevel step");
        return pattern;
    }

    private static Dictionary<string, int> ReadVocab(JsonElement vocabElement)
    {
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (JsonProperty entry in vocabElement.EnumerateObject())
            vocab.Add(entry.Name, entry.Value.GetInt32());
        // Ranks must be 0..n-1 so that rank = id, and every byte must be a token so any text encodes.
        var seen = new bool[vocab.Count];
        foreach (int id in vocab.Values)
        {
            if ((uint)id >= (uint)seen.Length || seen[id])
                throw Invalid($"vocab ids are not exactly 0..{vocab.Count - 1}");
            seen[id] = true;
        }
        foreach (char c in GptByteLevel.ByteToChar)
        {
            if (!vocab.ContainsKey(c.ToString()))
                throw Invalid($"vocab lacks the single-byte token '{c}'");
        }
        return vocab;
    }

    private static void CheckMergesFollowRanks(JsonElement merges, Dictionary<string, int> vocab)
    {
        var lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> joined = stackalloc char[1024];
        int mergeCount = 0, previousRank = -1;
        var splitsOfPreviousRank = new List<int>();
        foreach (JsonElement merge in merges.EnumerateArray())
        {
            (string left, string right) = ReadMerge(merge);
            if (left.Length + right.Length > joined.Length)
                throw Invalid($"merge {left} {right} is longer than any real token");
            left.CopyTo(joined);
            right.CopyTo(joined[left.Length..]);
            if (!lookup.TryGetValue(joined[..(left.Length + right.Length)], out int rank)
                || !vocab.ContainsKey(left) || !vocab.ContainsKey(right))
                throw Invalid($"merge {left} {right} does not join two vocab tokens into a vocab token");
            if (rank < previousRank)
                throw Invalid($"merge {mergeCount} ({left} {right}, rank {rank}) comes after a merge of rank {previousRank}; merge order is not rank order");
            if (rank != previousRank)
                splitsOfPreviousRank.Clear();
            else if (splitsOfPreviousRank.Contains(left.Length))
                throw Invalid($"merge {left} {right} is listed twice");
            splitsOfPreviousRank.Add(left.Length);
            previousRank = rank;
            mergeCount++;
        }

        // Every listed merge is a distinct split of a token into two tokens; equal counts make them all of them.
        long splitCount = 0;
        foreach (string token in vocab.Keys)
        {
            for (int i = 1; i < token.Length; i++)
            {
                if (lookup.ContainsKey(token.AsSpan(0, i)) && lookup.ContainsKey(token.AsSpan(i)))
                    splitCount++;
            }
        }
        if (splitCount != mergeCount)
            throw Invalid($"it lists {mergeCount} merges but its vocab has {splitCount} two-token splits; tiktoken would merge pairs BPE cannot");
    }

    private static bool IsAngleBarWord(string token) =>
        token.Length > 4 && token.StartsWith("<|", StringComparison.Ordinal) && token.EndsWith("|>", StringComparison.Ordinal)
        && !token.AsSpan(2, token.Length - 4).ContainsAnyExcept(WordChars);

    private static (string Left, string Right) ReadMerge(JsonElement merge)
    {
        if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            return (merge[0].GetString()!, merge[1].GetString()!);
        // Older files write "left right"; byte-level tokens never contain a space (it maps to 'Ġ').
        string text = merge.GetString()!;
        int space = text.IndexOf(' ');
        if (space <= 0 || space != text.LastIndexOf(' '))
            throw Invalid($"malformed merge \"{text}\"");
        return (text[..space], text[(space + 1)..]);
    }

    private static byte[] TiktokenRankFile(Dictionary<string, int> vocab)
    {
        var byId = new string[vocab.Count];
        foreach ((string token, int id) in vocab)
            byId[id] = token;

        using var output = new MemoryStream(vocab.Count * 16);
        Span<byte> bytes = stackalloc byte[1024];
        Span<byte> line = stackalloc byte[1400 + 16];
        for (int id = 0; id < byId.Length; id++)
        {
            string token = byId[id];
            if (token.Length > bytes.Length)
                throw Invalid($"token {id} is longer than any real token");
            for (int i = 0; i < token.Length; i++)
            {
                int b = GptByteLevel.ByteOf(token[i]);
                if (b < 0)
                    throw Invalid($"token {id} has '{token[i]}', which is not a byte-level character");
                bytes[i] = (byte)b;
            }
            Base64.EncodeToUtf8(bytes[..token.Length], line, out _, out int written);
            line[written++] = (byte)' ';
            id.TryFormat(line[written..], out int digits);
            written += digits;
            line[written++] = (byte)'\n';
            output.Write(line[..written]);
        }
        return output.ToArray();
    }

    private static InvalidDataException Invalid(string problem) =>
        new($"tokenizer.json cannot be used as a tiktoken table: it {problem}.");
}
