using System.Text;
using System.Text.RegularExpressions;

namespace NExtLong.Corpus;

/// <summary>
/// File globs as Hugging Face dataset configs write them: <c>*</c> and <c>?</c> within one path segment, <c>**</c> for
/// any number of folders ("data/*/*.parquet", "sample/**/*.parquet").
/// </summary>
internal static class CorpusGlob
{
    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>The folder before the first wildcard: "data/*/*.parquet" → "data", "*.jsonl" → ".".</summary>
    public static string BaseDirectory(string pattern)
    {
        string path = pattern.Replace('\\', '/');
        return LastSlashBeforeWildcard(path) switch
        {
            < 0 => ".",
            0 => "/",
            int slash => path[..slash],
        };
    }

    /// <summary>Full paths of the files that match <paramref name="pattern"/>, in no particular order.</summary>
    public static IEnumerable<string> Expand(string pattern)
    {
        string baseDirectory = BaseDirectory(pattern);
        if (!Directory.Exists(baseDirectory))
            return [];
        string path = pattern.Replace('\\', '/');
        string[] segments = path[(LastSlashBeforeWildcard(path) + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        var matcher = new Regex(ToRegex(segments), RegexOptions.CultureInvariant | RegexOptions.Singleline);
        string root = Path.GetFullPath(baseDirectory);
        bool anyDepth = segments.Contains("**");
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = anyDepth || segments.Length > 1,
            // Without "**" a match lies exactly one folder level per segment deep, so deeper folders need no walk.
            MaxRecursionDepth = anyDepth ? int.MaxValue : segments.Length - 1,
            IgnoreInaccessible = true,
        };
        return Directory.EnumerateFiles(root, "*", enumeration)
            .Where(file => matcher.IsMatch(Path.GetRelativePath(root, file).Replace('\\', '/')));
    }

    /// <summary>
    /// Whether a file in <paramref name="folder"/>, or in a folder below it, could match <paramref name="pattern"/>:
    /// the folder lies under the pattern's base folder and its path agrees with the pattern's leading segments.
    /// </summary>
    public static bool CouldMatchBelow(string pattern, string folder)
    {
        string root = Path.GetFullPath(BaseDirectory(pattern));
        string relative = Path.GetRelativePath(root, Path.GetFullPath(folder)).Replace('\\', '/');
        if (relative == ".") return true;
        if (relative == ".." || relative.StartsWith("../", StringComparison.Ordinal) || Path.IsPathRooted(relative)) return false;
        string path = pattern.Replace('\\', '/');
        string[] segments = path[(LastSlashBeforeWildcard(path) + 1)..].Split('/', StringSplitOptions.RemoveEmptyEntries);
        string[] folders = relative.Split('/');
        for (int i = 0; i < folders.Length; i++)
        {
            // Past the pattern's folder segments only a "**" (a trailing one matches files at any depth too) reaches deeper.
            if (i >= segments.Length - 1) return segments.Contains("**");
            if (segments[i] == "**") return true;
            if (!Regex.IsMatch(folders[i], ToRegex([segments[i]]), RegexOptions.CultureInvariant)) return false;
        }
        return true;
    }

    private static int LastSlashBeforeWildcard(string path) =>
        path.LastIndexOf('/', path.AsSpan().IndexOfAny('*', '?'));

    private static string ToRegex(string[] segments)
    {
        var regex = new StringBuilder("^");
        for (int i = 0; i < segments.Length; i++)
        {
            bool last = i == segments.Length - 1;
            if (segments[i] == "**")
            {
                regex.Append(last ? ".*" : "(?:[^/]*/)*");
                continue;
            }
            foreach (char c in segments[i])
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    _ => Regex.Escape(c.ToString()),
                });
            }
            if (!last)
                regex.Append('/');
        }
        return regex.Append('$').ToString();
    }
}
