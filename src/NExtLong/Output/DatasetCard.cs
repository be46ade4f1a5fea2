using System.Globalization;
using System.Text;
using NExtLong.Pipeline;

namespace NExtLong.Output;

/// <summary>
/// A Hugging Face style dataset card (README.md): YAML metadata, then what the data is, how it was made, from
/// what, with which parameters, its statistics, the licences of its sources, and how to train on it.
/// </summary>
internal sealed class DatasetCard
{
    public const string FileName = "README.md";

    public required string Title { get; init; }

    public required string Summary { get; init; }

    /// <summary>Markdown paragraphs on how the data was made.</summary>
    public required string Method { get; init; }

    public required long Samples { get; init; }

    /// <summary>Glob of the files Hugging Face datasets should load as the train split; null when none it can read.</summary>
    public string? DataFiles { get; init; }

    public IReadOnlyList<(string Files, string Content)> Files { get; init; } = [];

    public IReadOnlyList<string> SourceColumns { get; init; } = [];

    public IReadOnlyList<string[]> Sources { get; init; } = [];

    public IReadOnlyList<(string Name, string Value)> Parameters { get; init; } = [];

    public IReadOnlyList<(string Name, string Value)> Statistics { get; init; } = [];

    /// <summary>How to train on the data (<see cref="TrainingRecipe.CardSection"/>); null when no recipe goes with it.</summary>
    public string? Training { get; init; }

    /// <summary>The sources' licences; null when no LICENSES.tsv was found for them.</summary>
    public LicenseTable? Licenses { get; init; }

    /// <summary>Writes README.md (and LICENSES.tsv when the licences are known) into <paramref name="dir"/>; returns the names.</summary>
    public IReadOnlyList<string> Write(string dir)
    {
        AtomicFile.WriteAllText(Path.Combine(dir, FileName), Render());
        if (Licenses is null)
        {
            File.Delete(Path.Combine(dir, LicenseTable.FileName));
            return [FileName];
        }
        Licenses.Write(dir);
        return [FileName, LicenseTable.FileName];
    }

    public string Render()
    {
        var s = new StringBuilder();
        s.Append("---\n");
        s.Append($"pretty_name: {Yaml(Title)}\n");
        s.Append($"license: {(Licenses is null ? "unknown" : "other")}\n");
        s.Append("task_categories:\n- text-generation\n");
        s.Append("tags:\n- long-context\n- synthetic\n- nextlong\n");
        s.Append($"size_categories:\n- {SizeCategory(Samples)}\n");
        if (DataFiles is not null)
            s.Append($"configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: {Yaml(DataFiles)}\n");
        s.Append("---\n\n");
        s.Append($"# {Title}\n\n{Summary}\n\n");
        s.Append($"## Method\n\n{Method}\n\n");
        if (Files.Count > 0)
        {
            s.Append("## Files\n\n");
            Table(s, ["files", "content"], Files.Select(f => new[] { $"`{f.Files}`", f.Content }));
        }
        if (Sources.Count > 0)
        {
            s.Append("## Sources\n\n");
            Table(s, SourceColumns, Sources);
        }
        s.Append("## Parameters\n\n");
        Table(s, ["parameter", "value"], Parameters.Select(p => new[] { $"`{p.Name}`", p.Value }));
        s.Append("## Statistics\n\n");
        Table(s, ["statistic", "value"], Statistics.Select(p => new[] { p.Name, p.Value }));
        s.Append("## Licences\n\n");
        if (Licenses is null)
        {
            s.Append("Unknown: no `LICENSES.tsv` was found next to the inputs. The data inherits the licences of the "
                + "source corpora; check them before using or publishing it.\n\n");
        }
        else
        {
            s.Append("The data inherits the licences of its sources, as the `LICENSES.tsv` next to the inputs gives them "
                + "(copied to `LICENSES.tsv` here):\n\n");
            Table(s, Licenses.Header, Licenses.Rows);
        }
        if (Training is not null)
            s.Append($"## Training\n\n{Training}\n\n");
        s.Append("""
            ## Citation

            ```bibtex
            @inproceedings{gao2025nextlong,
              title     = {NExtLong: Toward Effective Long-Context Training without Long Documents},
              author    = {Gao, Chaochen and Wu, Xing and Lin, Zijia and Zhang, Debing and Hu, Songlin},
              booktitle = {Proceedings of the 42nd International Conference on Machine Learning},
              year      = {2025}
            }
            ```

            """);
        return s.ToString();
    }

    /// <summary>Hugging Face's size_categories buckets.</summary>
    public static string SizeCategory(long n) => n switch
    {
        < 1_000 => "n<1K",
        < 10_000 => "1K<n<10K",
        < 100_000 => "10K<n<100K",
        < 1_000_000 => "100K<n<1M",
        < 10_000_000 => "1M<n<10M",
        < 100_000_000 => "10M<n<100M",
        < 1_000_000_000 => "100M<n<1B",
        _ => "1B<n<10B",
    };

    /// <summary>A number for people: thousands separated, at most four decimals, no trailing zeros.</summary>
    public static string Number(double value) => value.ToString("#,0.####", CultureInfo.InvariantCulture);

    private static void Table(StringBuilder s, IReadOnlyList<string> header, IEnumerable<string[]> rows)
    {
        s.Append("| ").AppendJoin(" | ", header.Select(Cell)).Append(" |\n|");
        foreach (var _ in header) s.Append(" --- |");
        s.Append('\n');
        foreach (var row in rows)
            s.Append("| ").AppendJoin(" | ", row.Select(Cell)).Append(" |\n");
        s.Append('\n');
    }

    private static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");

    // A double-quoted YAML scalar: safe for any title or glob.
    private static string Yaml(string text) => "\"" + text.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
