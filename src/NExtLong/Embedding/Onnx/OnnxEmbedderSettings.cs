using System.Text.Json;
using System.Text.Json.Serialization;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// How to run one ONNX sentence-embedding model: the contents of a model folder's nextlong-embedder.json (every
/// property optional), and, once resolved by <see cref="OnnxModelFolder"/>, the complete settings an embedder uses.
/// Property names are snake_case in the file; docs/EMBEDDERS.md describes each.
/// </summary>
internal sealed record OnnxEmbedderSettings
{
    /// <summary>The settings file a model folder may hold.</summary>
    public const string FileName = "nextlong-embedder.json";

    /// <summary>The ONNX graph, relative to the folder (default model.onnx, else onnx/model.onnx).</summary>
    public string? Model { get; init; }

    /// <summary>Tokenizer file relative to the folder: vocab.txt, a SentencePiece .model, tokenizer.json or a USE vocab.json.</summary>
    public string? Tokenizer { get; init; }

    /// <summary>wordpiece, sentencepiece, tokenizer-json or use-vocab; inferred from the tokenizer file name when absent.</summary>
    public string? TokenizerType { get; init; }

    /// <summary>WordPiece only: lowercase and strip accents before tokenizing (uncased models).</summary>
    public bool? Lowercase { get; init; }

    /// <summary>SentencePiece only: shift ids as XLM-R/CamemBERT (fairseq) do.</summary>
    public bool? FairseqIds { get; init; }

    /// <summary>mean (masked mean of token vectors), cls (first token) or none (the output is already one vector per window).</summary>
    public string? Pooling { get; init; }

    /// <summary>L2-normalise each window's vector before windows are averaged (the final vector is always unit length).</summary>
    public bool? Normalize { get; init; }

    /// <summary>Tokens per window, special tokens and prefix included: the model's context length.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Content tokens between window starts (default: the window's content length, so windows do not overlap).</summary>
    public int? WindowStride { get; init; }

    /// <summary>Text put before a query (e5: "query: ").</summary>
    public string? QueryPrefix { get; init; }

    /// <summary>Text put before a passage (e5: "passage: ").</summary>
    public string? PassagePrefix { get; init; }

    /// <summary>passage (default) or query: which prefix chunks get.</summary>
    public string? Role { get; init; }

    /// <summary>jina-embeddings-v3 task adapter by name (config.json lora_adaptations), fed to the task_id input.</summary>
    public string? Task { get; init; }

    /// <summary>Task adapter by index, when the folder has no task names.</summary>
    public int? TaskId { get; init; }

    /// <summary>Keep only the first this many dimensions (Matryoshka models), before normalising.</summary>
    public int? Dimension { get; init; }

    /// <summary>Graph input names by role: input_ids, attention_mask, token_type_ids, task_id.</summary>
    public Dictionary<string, string>? Inputs { get; init; }

    /// <summary>Graph output to read (default: sentence_embedding, last_hidden_state, text_embeds, token_embeddings or the first output).</summary>
    public string? Output { get; init; }

    internal static readonly JsonSerializerOptions Json = JsonContracts.Make(new System.Text.Json.JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        AllowTrailingCommas = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        WriteIndented = false,
    });

    /// <summary>Reads a settings file; unknown properties are errors so that typos do not pass silently.</summary>
    public static OnnxEmbedderSettings Read(string path)
    {
        try
        {
            return Json.Deserialize<OnnxEmbedderSettings>(File.ReadAllBytes(path))
                ?? throw new InvalidDataException($"{path}: holds null instead of a settings object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: invalid embedder settings ({e.Message})", e);
        }
    }

    /// <summary>Values of <paramref name="overrides"/> where set, else these.</summary>
    public OnnxEmbedderSettings With(OnnxEmbedderSettings overrides) => this with
    {
        Model = overrides.Model ?? Model,
        Tokenizer = overrides.Tokenizer ?? Tokenizer,
        TokenizerType = overrides.TokenizerType ?? TokenizerType,
        Lowercase = overrides.Lowercase ?? Lowercase,
        FairseqIds = overrides.FairseqIds ?? FairseqIds,
        Pooling = overrides.Pooling ?? Pooling,
        Normalize = overrides.Normalize ?? Normalize,
        MaxTokens = overrides.MaxTokens ?? MaxTokens,
        WindowStride = overrides.WindowStride ?? WindowStride,
        QueryPrefix = overrides.QueryPrefix ?? QueryPrefix,
        PassagePrefix = overrides.PassagePrefix ?? PassagePrefix,
        Role = overrides.Role ?? Role,
        Task = overrides.Task ?? Task,
        TaskId = overrides.TaskId ?? TaskId,
        Dimension = overrides.Dimension ?? Dimension,
        Inputs = overrides.Inputs ?? Inputs,
        Output = overrides.Output ?? Output,
    };

    /// <summary>Canonical JSON of these settings, for cache keys.</summary>
    public string ToJson() => Json.Serialize(this);
}
