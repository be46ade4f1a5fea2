using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>One line of the warnings panel: what was checked, the measured value, the threshold, and the verdict.</summary>
internal sealed record ReportCheck(string Check, string Status, string Value, string Threshold, string Detail)
{
    public const string Ok = "ok", Warn = "warning", NotApplicable = "n/a";

    public static ReportCheck Of(string check, bool? warn, string value, string threshold, string detail)
        => new(check, warn is null ? NotApplicable : warn.Value ? Warn : Ok, value, threshold, detail);

    public JsonObject ToJson() => new()
    {
        ["check"] = Check,
        ["status"] = Status,
        ["value"] = Value,
        ["threshold"] = Threshold,
        ["detail"] = Detail,
    };
}
