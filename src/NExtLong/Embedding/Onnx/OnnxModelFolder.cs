using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// The model folder contract: model.onnx (or onnx/model.onnx, with any external-data files beside it), a tokenizer
/// (vocab.txt, a SentencePiece .model, tokenizer.json or a USE vocab.json) and optionally nextlong-embedder.json.
/// Settings the file leaves out are inferred from the Hugging Face / sentence-transformers files an export usually
/// carries (config.json, tokenizer_config.json, sentence_bert_config.json, 1_Pooling/config.json) and from the graph.
/// </summary>
internal static class OnnxModelFolder
{
    public const string InputIds = "input_ids";
    public const string AttentionMask = "attention_mask";
    public const string TokenTypeIds = "token_type_ids";
    public const string TaskIdInput = "task_id";

    private static readonly string[] OutputPreference = ["sentence_embedding", "last_hidden_state", "text_embeds", "token_embeddings"];

    /// <summary>The folder's settings file (or nothing) with <paramref name="overrides"/> applied.</summary>
    public static OnnxEmbedderSettings Declared(string dir, OnnxEmbedderSettings overrides)
    {
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"{dir}: model folder not found");
        string file = Path.Combine(dir, OnnxEmbedderSettings.FileName);
        var declared = File.Exists(file) ? OnnxEmbedderSettings.Read(file) : new OnnxEmbedderSettings();
        return declared.With(overrides);
    }

    /// <summary>The ONNX graph file of the folder.</summary>
    public static string ModelPath(string dir, OnnxEmbedderSettings declared)
    {
        if (declared.Model is not null)
        {
            string named = Path.Combine(dir, declared.Model);
            return File.Exists(named) ? named : throw new FileNotFoundException($"{named}: model file named by {OnnxEmbedderSettings.FileName} not found", named);
        }
        foreach (string candidate in new[] { "model.onnx", Path.Combine("onnx", "model.onnx") })
        {
            string path = Path.Combine(dir, candidate);
            if (File.Exists(path))
                return path;
        }
        throw new FileNotFoundException($"{dir}: no model.onnx (nor onnx/model.onnx); name the graph with \"model\" in {OnnxEmbedderSettings.FileName}");
    }

    /// <summary>Fills in every setting the declaration leaves out, checking it against the graph's inputs and outputs.</summary>
    public static OnnxEmbedderSettings Resolve(string dir, OnnxEmbedderSettings declared, string modelPath,
        IReadOnlyDictionary<string, NodeMetadata> inputs, IReadOnlyDictionary<string, NodeMetadata> outputs)
    {
        string settingsFile = Path.Combine(dir, OnnxEmbedderSettings.FileName);
        var config = ReadJson(Path.Combine(dir, "config.json"));
        var tokenizerConfig = ReadJson(Path.Combine(dir, "tokenizer_config.json"));
        var sentenceBert = ReadJson(Path.Combine(dir, "sentence_bert_config.json"));
        var poolingConfig = ReadJson(Path.Combine(dir, "1_Pooling", "config.json"));

        string tokenizer = declared.Tokenizer ?? FindTokenizer(dir);
        string tokenizerType = declared.TokenizerType ?? TokenizerTypeOf(tokenizer, settingsFile);
        string modelType = String(config, "model_type") ?? "";
        string tokenizerClass = String(tokenizerConfig, "tokenizer_class") ?? "";

        var names = new Dictionary<string, string>();
        foreach (string input in new[] { InputIds, AttentionMask, TokenTypeIds, TaskIdInput })
        {
            if (declared.Inputs is not null && declared.Inputs.TryGetValue(input, out string? name))
            {
                if (!inputs.ContainsKey(name))
                    throw new InvalidDataException($"{settingsFile}: input '{name}' (for {input}) is not an input of {modelPath}; its inputs are {string.Join(", ", inputs.Keys)}");
                names[input] = name;
            }
            else if (inputs.ContainsKey(input))
            {
                names[input] = input;
            }
        }
        if (declared.Inputs is not null && declared.Inputs.Keys.Except([InputIds, AttentionMask, TokenTypeIds, TaskIdInput]).FirstOrDefault() is { } unknownRole)
            throw new InvalidDataException($"{settingsFile}: unknown input role '{unknownRole}'; roles are input_ids, attention_mask, token_type_ids, task_id");
        if (!names.ContainsKey(InputIds))
            throw new InvalidDataException($"{modelPath}: no input_ids input (inputs: {string.Join(", ", inputs.Keys)}); map it with \"inputs\" in {OnnxEmbedderSettings.FileName}");
        var unfed = inputs.Keys.Except(names.Values).ToList();
        if (unfed.Count > 0)
            throw new InvalidDataException($"{modelPath}: inputs {string.Join(", ", unfed)} have no role; map them with \"inputs\" in {OnnxEmbedderSettings.FileName} (roles: input_ids, attention_mask, token_type_ids, task_id)");

        string output = declared.Output ?? OutputPreference.FirstOrDefault(outputs.ContainsKey) ?? outputs.Keys.First();
        if (!outputs.TryGetValue(output, out var outputMeta))
            throw new InvalidDataException($"{settingsFile}: output '{output}' is not an output of {modelPath}; its outputs are {string.Join(", ", outputs.Keys)}");
        int rank = outputMeta.Dimensions.Length;
        if (rank is not (2 or 3))
            throw new InvalidDataException($"{modelPath}: output '{output}' has rank {rank}; expected [batch, dim] or [batch, tokens, dim]");

        string pooling = declared.Pooling ?? (rank == 2 ? "none" : Bool(poolingConfig, "pooling_mode_cls_token") == true ? "cls" : "mean");
        if (pooling is not ("mean" or "cls" or "none"))
            throw new InvalidDataException($"{settingsFile}: pooling '{pooling}' is not mean, cls or none");
        if ((pooling == "none") != (rank == 2))
            throw new InvalidDataException($"{modelPath}: output '{output}' has rank {rank}, which does not fit pooling '{pooling}' (none needs [batch, dim]; mean and cls need [batch, tokens, dim])");

        int maxTokens = declared.MaxTokens
            ?? Int(sentenceBert, "max_seq_length")
            ?? (Int(tokenizerConfig, "model_max_length") is int m && m <= 100_000 ? m : (int?)null)
            ?? (Int(config, "max_position_embeddings") is int p ? (modelType.Contains("roberta") || modelType == "camembert" ? p - 2 : p) : (int?)null)
            ?? 512;
        var inputDims = inputs[names[InputIds]].Dimensions;
        if (inputDims.Length == 2 && inputDims[1] > 0)
            maxTokens = Math.Min(maxTokens, inputDims[1]);

        string? task = declared.Task;
        int? taskId = declared.TaskId;
        if (names.ContainsKey(TaskIdInput))
        {
            var tasks = config is { } c && c.RootElement.TryGetProperty("lora_adaptations", out var l) && l.ValueKind == JsonValueKind.Array
                ? l.EnumerateArray().Select(e => e.GetString() ?? "").ToList()
                : [];
            if (task is not null)
            {
                int index = tasks.IndexOf(task);
                if (index < 0)
                    throw new InvalidDataException($"{dir}: task '{task}' is not one of the model's tasks ({(tasks.Count == 0 ? "config.json lists none; give task_id" : string.Join(", ", tasks))})");
                taskId = index;
            }
            else if (taskId is null)
            {
                // Chunk-to-chunk similarity is symmetric, which jina-embeddings-v3's text-matching adapter is trained for.
                task = tasks.Contains("text-matching") ? "text-matching" : tasks.FirstOrDefault();
                taskId = task is null ? 0 : tasks.IndexOf(task);
            }
        }
        else if (task is not null || taskId is not null)
        {
            throw new InvalidDataException($"{modelPath}: a task is set but the graph has no task_id input");
        }

        string role = declared.Role ?? "passage";
        if (role is not ("passage" or "query"))
            throw new InvalidDataException($"{settingsFile}: role '{role}' is not passage or query");

        return declared with
        {
            Model = Path.GetRelativePath(dir, modelPath),
            Tokenizer = tokenizer,
            TokenizerType = tokenizerType,
            Lowercase = tokenizerType == "wordpiece" ? declared.Lowercase ?? Bool(tokenizerConfig, "do_lower_case") ?? true : null,
            FairseqIds = tokenizerType == "sentencepiece"
                ? declared.FairseqIds ?? (modelType is "xlm-roberta" or "camembert" || tokenizerClass.StartsWith("XLMRoberta", StringComparison.Ordinal)
                    || tokenizerClass.StartsWith("Camembert", StringComparison.Ordinal) || tokenizer.EndsWith("sentencepiece.bpe.model", StringComparison.Ordinal))
                : null,
            Pooling = pooling,
            Normalize = declared.Normalize ?? true,
            MaxTokens = maxTokens,
            Role = role,
            Task = task,
            TaskId = taskId,
            Inputs = names,
            Output = output,
        };
    }

    public static ModelTokenizer CreateTokenizer(string dir, OnnxEmbedderSettings settings)
    {
        string path = Path.Combine(dir, settings.Tokenizer!);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: tokenizer file not found", path);
        switch (settings.TokenizerType)
        {
            case "wordpiece":
                using (var stream = File.OpenRead(path))
                    return BertModelTokenizer.FromVocabulary(stream, settings.Lowercase ?? true, path);
            case "sentencepiece":
                using (var stream = File.OpenRead(path))
                    return SentencePieceModelTokenizer.FromModel(stream, settings.FairseqIds ?? false, path);
            case "tokenizer-json":
                return TokenizerJson.Load(path);
            case "use-vocab":
                return UseVocabulary.Load(path);
            default:
                throw new InvalidDataException($"{Path.Combine(dir, OnnxEmbedderSettings.FileName)}: tokenizer_type '{settings.TokenizerType}' is not wordpiece, sentencepiece, tokenizer-json or use-vocab");
        }
    }

    private static string FindTokenizer(string dir)
    {
        if (File.Exists(Path.Combine(dir, "vocab.txt")))
            return "vocab.txt";
        var models = Directory.GetFiles(dir, "*.model").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        if (models.Count > 0)
            return models[0]!;
        foreach (string name in new[] { "tokenizer.json", "vocab.json" })
        {
            if (File.Exists(Path.Combine(dir, name)))
                return name;
        }
        throw new FileNotFoundException($"{dir}: no tokenizer (vocab.txt, a SentencePiece .model, tokenizer.json or vocab.json); name one with \"tokenizer\" in {OnnxEmbedderSettings.FileName}");
    }

    private static string TokenizerTypeOf(string file, string settingsFile)
    {
        string name = Path.GetFileName(file);
        if (name.EndsWith(".txt", StringComparison.OrdinalIgnoreCase)) return "wordpiece";
        if (name.EndsWith(".model", StringComparison.OrdinalIgnoreCase)) return "sentencepiece";
        if (name.Equals("tokenizer.json", StringComparison.OrdinalIgnoreCase)) return "tokenizer-json";
        if (name.Equals("vocab.json", StringComparison.OrdinalIgnoreCase)) return "use-vocab";
        throw new InvalidDataException($"{settingsFile}: cannot tell the type of tokenizer '{file}'; set tokenizer_type (wordpiece, sentencepiece, tokenizer-json, use-vocab)");
    }

    private static JsonDocument? ReadJson(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})", e);
        }
    }

    private static string? String(JsonDocument? d, string name)
        => d is not null && d.RootElement.ValueKind == JsonValueKind.Object && d.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonDocument? d, string name)
        => d is not null && d.RootElement.ValueKind == JsonValueKind.Object && d.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : null;

    private static bool? Bool(JsonDocument? d, string name)
        => d is not null && d.RootElement.ValueKind == JsonValueKind.Object && d.RootElement.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
