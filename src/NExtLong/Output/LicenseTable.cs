using NExtLong.Pipeline;

namespace NExtLong.Output;

/// <summary>
/// The licences of a dataset's sources, as a LICENSES.tsv beside the input gives them (tab-separated, a header
/// line, one row per package or source — the bundled sample corpus ships one). Carried into every dataset made
/// from those inputs, so packed and mixed datasets keep stating them.
/// </summary>
internal sealed class LicenseTable
{
    public const string FileName = "LICENSES.tsv";

    private LicenseTable(IReadOnlyList<string> header, IReadOnlyList<string[]> rows, IReadOnlyList<string> files)
    {
        Header = header;
        Rows = rows;
        Files = files;
    }

    public IReadOnlyList<string> Header { get; }

    public IReadOnlyList<string[]> Rows { get; }

    /// <summary>The LICENSES.tsv files the rows were read from.</summary>
    public IReadOnlyList<string> Files { get; }

    /// <summary>
    /// The LICENSES.tsv nearest to <paramref name="input"/> (a file, folder or glob): in its folder or the closest
    /// folder above it that has one; null when none does.
    /// </summary>
    public static string? Find(string input)
    {
        string path = Path.GetFullPath(input);
        int wildcard = path.IndexOfAny(['*', '?']);
        if (wildcard >= 0)
            path = path[..path.LastIndexOf(Path.DirectorySeparatorChar, wildcard)];
        for (string? dir = Directory.Exists(path) ? path : Path.GetDirectoryName(path); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, FileName);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    public static LicenseTable Read(string file)
    {
        string[] lines = [.. File.ReadAllLines(file).Where(l => l.Length > 0)];
        if (lines.Length == 0)
            throw new InvalidDataException($"{file}: empty; a licence table needs a header line");
        string[] header = lines[0].Split('\t');
        var rows = new List<string[]>();
        for (int i = 1; i < lines.Length; i++)
        {
            string[] row = lines[i].Split('\t');
            if (row.Length != header.Length)
                throw new InvalidDataException($"{file} line {i + 1}: {row.Length} tab-separated fields, the header has {header.Length}");
            rows.Add(row);
        }
        return new LicenseTable(header, rows, [Path.GetFullPath(file)]);
    }

    /// <summary>The tables found for <paramref name="inputs"/>, merged (rows of every table, duplicates once); null if none.</summary>
    public static LicenseTable? ForInputs(IEnumerable<string> inputs)
    {
        var tables = inputs.Select(Find).OfType<string>().Distinct().Select(Read).ToList();
        if (tables.Count == 0)
            return null;
        var header = tables[0].Header;
        var mismatch = tables.FirstOrDefault(t => !t.Header.SequenceEqual(header));
        if (mismatch is not null)
            throw new InvalidDataException($"{mismatch.Files[0]}: its columns ({string.Join(", ", mismatch.Header)}) differ from {tables[0].Files[0]}'s ({string.Join(", ", header)})");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var rows = tables.SelectMany(t => t.Rows).Where(r => seen.Add(string.Join('\t', r))).ToList();
        return new LicenseTable(header, rows, [.. tables.SelectMany(t => t.Files)]);
    }

    /// <summary>Writes the merged table as <paramref name="dir"/>/LICENSES.tsv.</summary>
    public void Write(string dir) =>
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), string.Join('\n', Rows.Prepend([.. Header]).Select(r => string.Join('\t', r))) + "\n");
}
