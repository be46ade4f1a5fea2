using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// `nextlong report`: one self-contained HTML file about one or more dataset folders, to look at before spending
/// GPU hours on them, or the same measures as one JSON document for scripts and CI. Each folder is read once,
/// streaming; the page draws the measures with Vega-Lite (inlined, no network) and shows whole sample documents
/// in a virtualised viewer.
/// </summary>
public static class ReportBuilder
{
    /// <summary>The JSON document's "version" field, which tells scripts which layout of the measures they read.</summary>
    public const int JsonVersion = 1;

    /// <summary>The HTML report.</summary>
    public static string Build(IReadOnlyList<string> datasetDirs, int samplesPerDataset = 2, CancellationToken ct = default)
    {
        var (report, samples) = Gather(datasetDirs, samplesPerDataset, ct);
        report["samples"] = samples;
        // The default encoder escapes '<', '>' and '&', so the JSON cannot close the script element it sits in.
        return ReportAssets.Page(report.ToJsonString());
    }

    /// <summary>The measures alone (no sample documents), as `report --json` writes them.</summary>
    public static string BuildJson(IReadOnlyList<string> datasetDirs, CancellationToken ct = default)
        => Gather(datasetDirs, 0, ct).Report.ToJsonString(JsonContracts.Indented) + "\n";

    /// <summary>Writes the HTML report (<see cref="Build"/>) to <paramref name="outPath"/>, atomically.</summary>
    /// <param name="datasetDirs">Finished dataset folders, one section each.</param>
    /// <param name="outPath">The report file; an existing file there is replaced only if it is an earlier nextlong report.</param>
    /// <param name="samplesPerDataset">Whole documents of each dataset shown in the viewer; default 2.</param>
    /// <param name="ct">Stops the reading.</param>
    /// <exception cref="IOException"><paramref name="outPath"/> is a folder, or a file that is not a nextlong report.</exception>
    public static void Write(IReadOnlyList<string> datasetDirs, string outPath, int samplesPerDataset = 2, CancellationToken ct = default)
    {
        RequireReplaceable(outPath);
        WriteAtomically(outPath, Build(datasetDirs, samplesPerDataset, ct));
    }

    /// <summary>Writes the measures as JSON (<see cref="BuildJson"/>) to <paramref name="outPath"/>, atomically.</summary>
    /// <param name="datasetDirs">Finished dataset folders, one entry each.</param>
    /// <param name="outPath">The JSON file; an existing file there is replaced only if it is an earlier nextlong report.</param>
    /// <param name="ct">Stops the reading.</param>
    /// <exception cref="IOException"><paramref name="outPath"/> is a folder, or a file that is not a nextlong report.</exception>
    public static void WriteJson(IReadOnlyList<string> datasetDirs, string outPath, CancellationToken ct = default)
    {
        RequireReplaceable(outPath);
        WriteAtomically(outPath, BuildJson(datasetDirs, ct));
    }

    // A report replaces only an earlier report: any other file at that path is the user's, and is never overwritten.
    private static void RequireReplaceable(string outPath)
    {
        if (Directory.Exists(outPath)) throw new IOException($"{outPath}: is a folder; -o needs a file name");
        if (!File.Exists(outPath)) return;
        using var reader = new StreamReader(outPath);
        var head = new char[4096];
        int n = reader.ReadBlock(head);
        if (!head.AsSpan(0, n).Contains(Generator.AsSpan(), StringComparison.Ordinal))
            throw new IOException($"{outPath}: exists and is not a nextlong report; choose another -o or move it away");
    }

    /// <summary>Marks a file as a nextlong report (in the HTML head and the JSON), so a rerun may replace it.</summary>
    internal const string Generator = "nextlong report";

    private static void WriteAtomically(string outPath, string text)
    {
        string temp = $"{outPath}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, outPath, overwrite: true);
    }

    private static (JsonObject Report, JsonArray Samples) Gather(IReadOnlyList<string> datasetDirs, int samplesPerDataset, CancellationToken ct)
    {
        if (datasetDirs.Count == 0) throw new ArgumentException("no dataset folder given");
        OptionValidationException.AtLeast("SamplesPerDataset", samplesPerDataset, 0);
        var datasets = new JsonArray();
        var samples = new JsonArray();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in datasetDirs)
        {
            // Charts colour and label datasets by name, so two folders both called `out` become `out` and `out-2`.
            string folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))), name = folder;
            for (int n = 2; !names.Add(name); n++) name = $"{folder}-{n}";
            var summary = DatasetSummary.Read(dir, samplesPerDataset, name, ct);
            datasets.Add((JsonNode)summary.ToJson());
            foreach (var sample in summary.Samples) samples.Add((JsonNode)sample);
        }
        return (new JsonObject { ["version"] = JsonVersion, ["generator"] = Generator, ["datasets"] = datasets }, samples);
    }
}
