using System.Globalization;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// Parses ONNX embedder specs: <c>onnx:MODEL_DIR[,KEY=VALUE]...</c> and <c>use-lite[,KEY=VALUE]...</c>.
/// Keys that change the vectors (role, task, task-id, dim, max-tokens, stride) stay in the canonical spec recorded in
/// index manifests; keys that only change how it runs (provider, device, sessions, threads, batch) do not.
/// </summary>
internal sealed record OnnxEmbedderSpec(string Name, string ModelDir, OnnxEmbedderSettings Overrides, OnnxRuntimeOptions Runtime, string Canonical)
{
    public const string UseLiteName = "use-lite";
    public const string OnnxPrefix = "onnx:";

    /// <summary>The built-in USE-lite model folder, copied beside the program by the build.</summary>
    public static string UseLiteDir => Path.Combine(AppContext.BaseDirectory, "models", "use-lite");

    public static bool Matches(string head) => head == UseLiteName || head.StartsWith(OnnxPrefix, StringComparison.Ordinal);

    /// <param name="head">use-lite or onnx:DIR.</param>
    /// <param name="options">The KEY=VALUE options that followed it.</param>
    public static OnnxEmbedderSpec Parse(string head, IReadOnlyList<(string Key, string Value)> options)
    {
        string dir = head == UseLiteName ? UseLiteDir : head[OnnxPrefix.Length..];
        if (dir.Length == 0)
            throw new ArgumentException("onnx: needs a model folder, e.g. onnx:models/bge-small-en-v1.5");
        var overrides = new OnnxEmbedderSettings();
        var runtime = new OnnxRuntimeOptions();
        var kept = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in options)
        {
            switch (key)
            {
                case "role": overrides = overrides with { Role = value }; kept[key] = value; break;
                case "task": overrides = overrides with { Task = value }; kept[key] = value; break;
                case "task-id": overrides = overrides with { TaskId = Int(key, value) }; kept[key] = value; break;
                case "dim": overrides = overrides with { Dimension = Int(key, value) }; kept[key] = value; break;
                case "max-tokens": overrides = overrides with { MaxTokens = Int(key, value) }; kept[key] = value; break;
                case "stride": overrides = overrides with { WindowStride = Int(key, value) }; kept[key] = value; break;
                case "provider": runtime = runtime with { Provider = value }; break;
                case "device": runtime = runtime with { Device = Int(key, value) }; break;
                case "sessions": runtime = runtime with { Sessions = Int(key, value) }; break;
                case "threads": runtime = runtime with { Threads = Int(key, value) }; break;
                case "batch": runtime = runtime with { BatchWindows = Int(key, value) }; break;
                default:
                    throw new ArgumentException(
                        $"Unknown embedder option '{key}'; ONNX embedders take role, task, task-id, dim, max-tokens, stride, provider, device, sessions, threads, batch (and cache).");
            }
        }
        string name = head == UseLiteName ? UseLiteName : OnnxPrefix + Path.GetFullPath(dir);
        string canonical = name + string.Concat(kept.Select(kv => $",{kv.Key}={kv.Value}"));
        return new OnnxEmbedderSpec(name, dir, overrides, runtime, canonical);
    }

    public OnnxEmbedder Open()
    {
        if (Name == UseLiteName && !File.Exists(Path.Combine(ModelDir, "model.onnx")))
            throw new FileNotFoundException($"{ModelDir}: the built-in use-lite model is missing from the program folder; rebuild nextlong (tools/use-lite/README.md)");
        return OnnxEmbedder.Open(ModelDir, Overrides, Runtime, Canonical);
    }

    private static int Int(string key, string value)
        => int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) ? n : throw new ArgumentException($"Embedder option {key}={value}: not a whole number.");
}
