using System.Text.RegularExpressions;

namespace NExtLong.Report;

/// <summary>
/// The page template, its script and style, and the vendored Vega builds, embedded in the library
/// (Report/Assets; the builds come from tools/report/fetch-vega.sh) and inlined so a report needs no network.
/// </summary>
internal static partial class ReportAssets
{
    [GeneratedRegex(@"/\*@(?<name>[a-z][a-z.-]*\.(?:js|css|json))\*/")]
    private static partial Regex Slot();

    private static string Text(string name)
    {
        using var stream = typeof(ReportAssets).Assembly.GetManifestResourceStream($"NExtLong.Report.Assets.{name}")
            ?? throw new InvalidOperationException($"report asset {name} is not embedded in the library");
        return new StreamReader(stream).ReadToEnd();
    }

    // Inlined into <script>/<style>: a closing tag inside would end the element early.
    private static string Inlined(string name)
    {
        string text = Text(name);
        if (text.Contains("</script", StringComparison.OrdinalIgnoreCase) || text.Contains("</style", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException($"report asset {name} contains a closing tag and cannot be inlined");
        return text;
    }

    /// <summary>
    /// The page: every /*@name*/ slot of report.html replaced by that asset, and /*@data.json*/ by
    /// <paramref name="dataJson"/>, in one pass so nothing inserted is scanned for slots again.
    /// </summary>
    public static string Page(string dataJson)
        => Slot().Replace(Text("report.html"), m => m.Groups["name"].Value == "data.json" ? dataJson : Inlined(m.Groups["name"].Value));
}
