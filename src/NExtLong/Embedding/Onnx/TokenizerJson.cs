using System.Text;
using System.Text.Json;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// Reads a Hugging Face tokenizer.json with a WordPiece model (BERT family) or a Unigram model (XLM-R family), for
/// model folders that ship no vocab.txt or SentencePiece .model. Other model types (BPE) are refused by name.
/// </summary>
internal static class TokenizerJson
{
    public static ModelTokenizer Load(string path)
    {
        using var document = ParseFile(path);
        var root = document.RootElement;
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: no \"model\" object; not a Hugging Face tokenizer.json");
        string type = model.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        if (type.Length == 0 && model.TryGetProperty("continuing_subword_prefix", out _))
            type = "WordPiece";
        try
        {
            return type switch
            {
                "WordPiece" => LoadWordPiece(root, model, path),
                "Unigram" => LoadUnigram(root, model, path),
                _ => throw new NotSupportedException(
                    $"{path}: tokenizer model type '{type}' is not supported; supported are WordPiece and Unigram (or put a vocab.txt or SentencePiece .model in the folder)"),
            };
        }
        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new InvalidDataException($"{path}: malformed tokenizer.json ({e.Message})", e);
        }
    }

    private static JsonDocument ParseFile(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    private static ModelTokenizer LoadWordPiece(JsonElement root, JsonElement model, string path)
    {
        var vocabulary = model.GetProperty("vocab").EnumerateObject().Select(p => (Token: p.Name, Id: p.Value.GetInt32())).OrderBy(p => p.Id).ToList();
        for (int i = 0; i < vocabulary.Count; i++)
        {
            if (vocabulary[i].Id != i)
                throw new InvalidDataException($"{path}: WordPiece vocabulary ids are not 0..{vocabulary.Count - 1} (id {i} is missing)");
        }
        bool lowercase = true;
        if (root.TryGetProperty("normalizer", out var normalizer) && normalizer.ValueKind == JsonValueKind.Object
            && normalizer.TryGetProperty("lowercase", out var lower) && lower.ValueKind is JsonValueKind.True or JsonValueKind.False)
            lowercase = lower.GetBoolean();
        var text = new StringBuilder();
        foreach (var (token, _) in vocabulary)
            text.Append(token).Append('\n');
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
        return BertModelTokenizer.FromVocabulary(stream, lowercase, path);
    }

    private static ModelTokenizer LoadUnigram(JsonElement root, JsonElement model, string path)
    {
        var pieces = new List<(string, double?)>();
        var ids = new Dictionary<string, int>();
        foreach (var entry in model.GetProperty("vocab").EnumerateArray())
        {
            string piece = entry[0].GetString() ?? throw new InvalidDataException($"{path}: Unigram piece {pieces.Count} is not a string");
            ids.TryAdd(piece, pieces.Count);
            pieces.Add((piece, entry[1].ValueKind == JsonValueKind.Null ? null : entry[1].GetDouble()));
        }
        int unknown = model.TryGetProperty("unk_id", out var u) && u.ValueKind == JsonValueKind.Number ? u.GetInt32() : 0;
        var special = new HashSet<int>();
        if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
        {
            foreach (var token in added.EnumerateArray())
            {
                if (token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True)
                    special.Add(token.GetProperty("id").GetInt32());
            }
        }
        var (start, end) = WindowTokens(root, ids, path);
        int pad = ids.TryGetValue("<pad>", out int p) ? p : unknown;
        return new UnigramTokenizer(pieces, special.Contains, unknown, UnigramDialect.HuggingFace, start, end, pad);
    }

    /// <summary>The special ids around a single sequence, from the post-processor (RobertaProcessing, BertProcessing or a template).</summary>
    private static (int[] Start, int[] End) WindowTokens(JsonElement root, Dictionary<string, int> ids, string path)
    {
        if (!root.TryGetProperty("post_processor", out var post) || post.ValueKind != JsonValueKind.Object)
            return ([], []);
        string type = post.GetProperty("type").GetString() ?? "";
        if (type is "RobertaProcessing" or "BertProcessing")
            return ([post.GetProperty("cls")[1].GetInt32()], [post.GetProperty("sep")[1].GetInt32()]);
        if (type == "TemplateProcessing")
        {
            var start = new List<int>();
            var end = new List<int>();
            bool seenSequence = false;
            foreach (var item in post.GetProperty("single").EnumerateArray())
            {
                if (item.TryGetProperty("Sequence", out _))
                {
                    seenSequence = true;
                    continue;
                }
                string name = item.GetProperty("SpecialToken").GetProperty("id").GetString()!;
                int id = post.TryGetProperty("special_tokens", out var map) && map.TryGetProperty(name, out var entry)
                    ? entry.GetProperty("ids")[0].GetInt32()
                    : ids.TryGetValue(name, out int known) ? known : throw new InvalidDataException($"{path}: template token '{name}' has no id");
                (seenSequence ? end : start).Add(id);
            }
            return (start.ToArray(), end.ToArray());
        }
        throw new NotSupportedException($"{path}: post-processor '{type}' is not supported; supported are TemplateProcessing, BertProcessing and RobertaProcessing");
    }
}
