using System.Globalization;
using System.Text.RegularExpressions;

namespace NExtLong.Corpus;

/// <summary>
/// A named source of short documents (e.g. FineWeb-Edu or Cosmopedia v2), its files and its weight in the mixture.
/// </summary>
/// <param name="Name">Names the source in documents, reports and the mixture.</param>
/// <param name="Patterns">Files, folders (all supported files below them) or globs (<c>*</c>, <c>?</c>, <c>**</c>).</param>
/// <param name="Weight">Mixing weight; positive.</param>
/// <param name="TextField">The field holding the document text; dots reach into JSON objects or Parquet structs.</param>
/// <param name="IdField">The field holding the document id; records without one get "file:line" or "file#row".</param>
public sealed partial record CorpusSource(
    string Name, IReadOnlyList<string> Patterns, double Weight = 1, string TextField = "text", string IdField = "id")
{
    /// <summary>Names the source in documents, reports and the mixture: letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    /// <exception cref="ArgumentException">Set to a name with other characters.</exception>
    public string Name { get; init => field = ValidName(value); } = ValidName(Name);

    /// <summary>Files, folders (all supported files below them) or globs (<c>*</c>, <c>?</c>, <c>**</c>); at least one, none blank.</summary>
    /// <exception cref="ArgumentException">Set to an empty list or one with a blank pattern.</exception>
    public IReadOnlyList<string> Patterns { get; init => field = ValidPatterns(value); } = ValidPatterns(Patterns);

    /// <summary>The source's mixing weight, relative to the other sources' (default 1); positive and finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to zero, a negative, NaN or an infinity.</exception>
    public double Weight { get; init => field = ValidWeight(value); } = ValidWeight(Weight);

    /// <summary>The field holding the document text (default "text"); dots reach into JSON objects or Parquet structs.</summary>
    /// <exception cref="ArgumentException">Set to an empty path or one with an empty name between dots.</exception>
    public string TextField { get; init => field = ValidField(value); } = ValidField(TextField);

    /// <summary>The field holding the document id (default "id"); records without one get "file:line" or "file#row".</summary>
    /// <exception cref="ArgumentException">Set to an empty path or one with an empty name between dots.</exception>
    public string IdField { get; init => field = ValidField(value); } = ValidField(IdField);

    /// <summary>
    /// Parses a command-line source: <c>PATH</c>, <c>PATH@WEIGHT</c>, <c>NAME=PATH</c> or <c>NAME=PATH@WEIGHT</c>, where
    /// PATH is one or more comma-separated files, folders or globs. Without a name, the source is named after the first
    /// path's last folder or file stem ("data/fineweb-edu/" → "fineweb-edu", "docs.jsonl.gz" → "docs",
    /// "data/*/*.parquet" → "data"). The weight defaults to 1.
    /// </summary>
    public static CorpusSource Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string rest = spec.Trim();
        string? name = null;
        int equals = rest.IndexOf('=');
        // A '=' inside a path is possible, so only a prefix that is a valid name makes a name.
        if (equals > 0 && NamePattern().IsMatch(rest[..equals]))
        {
            name = rest[..equals];
            rest = rest[(equals + 1)..];
        }

        double weight = 1;
        int at = rest.LastIndexOf('@');
        // An '@' not followed by a number belongs to the path.
        if (at >= 0 && double.TryParse(rest.AsSpan(at + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed))
        {
            if (!double.IsFinite(parsed) || parsed <= 0)
                throw new FormatException($"corpus source '{spec}': the weight after '@' must be a positive number");
            weight = parsed;
            rest = rest[..at];
        }

        string[] patterns = rest.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (patterns.Length == 0)
            throw new FormatException($"corpus source '{spec}' names no file, folder or glob");
        return new CorpusSource(name ?? DefaultName(patterns[0]), patterns, weight);
    }

    /// <summary>The name a source gets from its first pattern: the last folder before any wildcard, or the file stem.</summary>
    internal static string DefaultName(string pattern)
    {
        string path = pattern.Replace('\\', '/');
        int wildcard = path.IndexOfAny(['*', '?']);
        if (wildcard >= 0)
            path = path[..Math.Max(0, path.LastIndexOf('/', wildcard))];
        path = path.TrimEnd('/');
        string last = path.Length == 0 || path is "." or ".."
            ? Path.GetFileName(Path.GetFullPath(path.Length == 0 ? "." : path))
            : path[(path.LastIndexOf('/') + 1)..];
        string stem = CorpusReader.StripCorpusExtension(last);
        string name = InvalidNameChars().Replace(stem, "-").Trim('-', '.');
        return name.Length > 0 && NamePattern().IsMatch(name) ? name : "corpus";
    }

    private static string ValidName(string name) => NamePattern().IsMatch(name)
        ? name
        : throw new ArgumentException($"source name '{name}' must be letters, digits, '.', '_' or '-'", nameof(Name));

    private static IReadOnlyList<string> ValidPatterns(IReadOnlyList<string> patterns) =>
        patterns is { Count: > 0 } && patterns.All(p => !string.IsNullOrWhiteSpace(p))
            ? patterns
            : throw new ArgumentException("a source needs at least one non-empty file pattern", nameof(Patterns));

    private static double ValidWeight(double weight) => double.IsFinite(weight) && weight > 0
        ? weight
        : throw new ArgumentOutOfRangeException(nameof(Weight), weight, "a mixing weight must be positive and finite");

    private static string ValidField(string field) =>
        !string.IsNullOrEmpty(field) && field.Split('.').All(part => part.Length > 0)
            ? field
            : throw new ArgumentException($"field path '{field}' must be non-empty names joined by '.'", nameof(field));

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"[^A-Za-z0-9._-]+")]
    private static partial Regex InvalidNameChars();
}
