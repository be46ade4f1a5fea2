using System.Text.RegularExpressions;

namespace NExtLong.Report;

/// <summary>The model a dataset's train-prolong.sh trains by default (its `MODEL=${MODEL:-…}` line).</summary>
internal static partial class TrainingRecipe
{
    [GeneratedRegex(@"^MODEL=\$\{MODEL:-(?<model>[^}]+)\}", RegexOptions.Multiline)]
    private static partial Regex ModelLine();

    public static string? Model(string datasetDir)
    {
        string path = Path.Combine(datasetDir, "train-prolong.sh");
        if (!File.Exists(path)) return null;
        var match = ModelLine().Match(File.ReadAllText(path));
        return match.Success ? match.Groups["model"].Value : null;
    }

    /// <summary>
    /// Whether <paramref name="tokenizer"/> can be the one <paramref name="model"/> was trained with. Only Llama 3
    /// models are known (the recipes' models); a tokenizer file is trusted when its path names Llama 3.
    /// </summary>
    public static bool? TokenizerMatches(string model, string tokenizer)
    {
        if (!model.Contains("llama-3", StringComparison.OrdinalIgnoreCase)) return null;
        return tokenizer == "llama3"
            || ((tokenizer.StartsWith("tiktoken:", StringComparison.Ordinal) || tokenizer.StartsWith("sentencepiece:", StringComparison.Ordinal))
                && (tokenizer.Contains("llama-3", StringComparison.OrdinalIgnoreCase) || tokenizer.Contains("llama3", StringComparison.OrdinalIgnoreCase)));
    }
}
