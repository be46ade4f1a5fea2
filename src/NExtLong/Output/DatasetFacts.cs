using System.Text.Json;
using NExtLong.Pipeline;

namespace NExtLong.Output;

/// <summary>
/// What a dataset's samples are, as its config.json records it: the tokenizer (and a <see cref="TokenizerProbe"/>
/// of it), the special tokens framing each document, and the ids per sequence (the longest, for packed data).
/// Synthesis writes config.json in the dataset folder, one level above its mds/ (two above mds/&lt;source&gt;/);
/// pack and mix write one in their own folder. Datasets whose facts differ must not be packed or mixed together,
/// and a model must share the tokenizer to train on them. A null member is unknown: MDS data nextlong did not make.
/// </summary>
internal sealed record DatasetFacts(string? Tokenizer, TokenizerProbe? Probe, SpecialTokenPolicy? Specials, int? SequenceTokens)
{
    public static readonly DatasetFacts Unknown = new(null, null, null, null);

    public bool IsUnknown => Tokenizer is null && Specials is null && SequenceTokens is null;

    /// <summary>The facts recorded for the MDS dataset in <paramref name="mdsDir"/>; <see cref="Unknown"/> when nothing records them.</summary>
    public static DatasetFacts Of(string mdsDir)
    {
        string dir = Path.TrimEndingDirectorySeparator(Path.GetFullPath(mdsDir));
        string own = Path.Combine(dir, SynthesisStage.ConfigFile);
        if (File.Exists(own))
            return Read(own, folder: null);
        // A synthesized dataset: OUT/mds or OUT/mds/<source> (likewise mds-text); config.json is in OUT.
        string? parent = Path.GetDirectoryName(dir);
        foreach (var (folder, datasetDir) in new[] { (Path.GetFileName(dir), parent), (Path.GetFileName(parent), Path.GetDirectoryName(parent)) })
        {
            string? config = datasetDir is null ? null : Path.Combine(datasetDir, SynthesisStage.ConfigFile);
            if (folder is ProLongMdsWriter.Folder or TextMdsWriter.Folder && File.Exists(config))
                return Read(config, folder);
        }
        return Unknown;
    }

    /// <summary>
    /// The facts of a synthesis config.json for its <paramref name="folder"/> ("mds" or "mds-text"), or of a pack or
    /// mix config.json (<paramref name="folder"/> null). <see cref="Unknown"/> when the config does not describe it.
    /// </summary>
    public static DatasetFacts FromConfig(JsonElement root, string? folder)
    {
        string? tokenizer = root.TryGetProperty("tokenizer", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        TokenizerProbe? probe = root.TryGetProperty("tokenizer_probe", out var p) && p.ValueKind == JsonValueKind.Object
            ? new TokenizerProbe(p.GetProperty("text").GetString()!, [.. p.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32())])
            : null;
        if (!root.TryGetProperty("output", out var output) || output.ValueKind != JsonValueKind.Object)
            return Unknown;
        bool formatWritten = folder is null
            || (output.TryGetProperty("formats", out var formats) && formats.EnumerateArray().Any(f => f.GetString() == folder));
        if (!formatWritten)
            return Unknown;
        if (folder == TextMdsWriter.Folder)
            return new DatasetFacts(tokenizer, probe, SpecialTokenPolicy.None, root.GetProperty("target_tokens").GetInt32());
        var specials = output.TryGetProperty("add_bos", out _) ? new SpecialTokenPolicy(Int(output, "bos_id"), Int(output, "eos_id")) : null;
        return new DatasetFacts(tokenizer, probe, specials, Int(output, "sequence_tokens"));
    }

    /// <summary>
    /// Refuses to combine datasets whose facts differ: the tokenizer, the special tokens and, when
    /// <paramref name="compareLength"/>, the sequence length. Names both datasets and every difference.
    /// </summary>
    /// <param name="command">The command combining them ("pack" or "mix"); starts the error message.</param>
    /// <param name="inputs">Each dataset as the user named it, and its facts; compared with the first.</param>
    /// <param name="compareLength">Whether the sequence lengths must agree too (mix).</param>
    /// <exception cref="InvalidDataException">Two datasets differ; the message names both and every difference.</exception>
    public static void RequireSame(string command, IReadOnlyList<(string Name, DatasetFacts Facts)> inputs, bool compareLength)
    {
        var (firstName, first) = inputs[0];
        foreach (var (name, facts) in inputs.Skip(1))
        {
            var differences = first.Differences(facts, compareLength);
            if (differences.Count > 0)
                throw new InvalidDataException($"{command}: {firstName} and {name} differ in {string.Join("; ", differences)}; "
                    + $"{command} only combines datasets of one tokenizer, special-token policy{(compareLength ? " and sequence length" : "")}");
        }
    }

    /// <summary>What differs from <paramref name="other"/>, each as "what: this vs other"; empty when nothing does.</summary>
    public IReadOnlyList<string> Differences(DatasetFacts other, bool compareLength)
    {
        var list = new List<string>();
        if (Tokenizer != other.Tokenizer)
            list.Add($"tokenizer: {Describe(Tokenizer)} vs {Describe(other.Tokenizer)}");
        else if (Probe is not null && other.Probe is not null && !Probe.SameIds(other.Probe))
            list.Add($"tokenizer vocabulary: {Tokenizer} gives [{string.Join(", ", Probe.Ids)}] vs [{string.Join(", ", other.Probe.Ids)}] for \"{Probe.Text}\"");
        if (Specials != other.Specials)
            list.Add($"special tokens: {Describe(Specials)} vs {Describe(other.Specials)}");
        if (compareLength && SequenceTokens != other.SequenceTokens)
            list.Add($"sequence length: {Describe(SequenceTokens)} vs {Describe(other.SequenceTokens)} ids");
        return list;
    }

    /// <summary>The facts as config.json entries: "tokenizer", "tokenizer_probe", and in <paramref name="output"/> the special tokens and sequence length.</summary>
    public void AddTo(Dictionary<string, object?> config, Dictionary<string, object?> output)
    {
        config["tokenizer"] = Tokenizer;
        if (Probe is not null)
            config["tokenizer_probe"] = new Dictionary<string, object?> { ["text"] = Probe.Text, ["ids"] = Probe.Ids };
        if (Specials is not null)
        {
            output["add_bos"] = Specials.Bos is not null;
            output["add_eos"] = Specials.Eos is not null;
            output["bos_id"] = Specials.Bos;
            output["eos_id"] = Specials.Eos;
        }
        output["sequence_tokens"] = SequenceTokens;
    }

    /// <summary>The special tokens in words: "BOS 128000 + EOS 128001", "EOS 100257 only", "none", or "unknown".</summary>
    public static string Describe(SpecialTokenPolicy? specials) => specials switch
    {
        null => "unknown (no config.json records them)",
        { Bos: null, Eos: null } => "none",
        { Bos: int bos, Eos: int eos } => $"BOS {bos} + EOS {eos}",
        { Bos: int bos } => $"BOS {bos} only",
        { Eos: int eos } => $"EOS {eos} only",
    };

    private static string Describe(string? tokenizer) => tokenizer ?? "unknown (no config.json records it)";

    private static string Describe(int? tokens) => tokens?.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) ?? "unknown";

    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static DatasetFacts Read(string configPath, string? folder)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
            return FromConfig(doc.RootElement, folder);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{configPath}: cannot read the dataset's tokenizer and lengths ({e.Message})", e);
        }
    }
}
