using System.Text.Json;
using NExtLong.Output.Parquet;

namespace NExtLong.Inspection;

/// <summary>
/// The checks of a document record in the text formats (JSON lines, mds-text's provenance, Parquet rows):
/// num_tokens is T, and the spans partition the tokens and lie inside the text.
/// </summary>
internal static class TextRecords
{
    /// <summary>What is wrong with a JSON record (or mds-text provenance) whose text is <paramref name="text"/>; null when nothing.</summary>
    public static string? Check(JsonElement record, string text, DatasetExpectations expect, out long numTokens)
    {
        numTokens = 0;
        bool has = record.TryGetProperty("num_tokens", out var n);
        if (!has)
            return expect.TextTokens is null ? null : "no num_tokens";
        if (!n.TryGetInt64(out numTokens) || numTokens < 0)
            return $"num_tokens {n.GetRawText()} is not a count";
        if (expect.TextTokens is int t && numTokens != t)
            return $"num_tokens is {numTokens}, config.json's target_tokens is {t}";
        if (!record.TryGetProperty("spans", out var spans))
            return expect.TextTokens is null ? null : "no spans";
        if (spans.ValueKind != JsonValueKind.Array)
            return "spans is not a list";
        long chars = TextLength.Of(text);
        var tiling = new SpanTiling();
        foreach (var s in spans.EnumerateArray())
        {
            if (s.ValueKind != JsonValueKind.Object
                || !Long(s, "token_start", out long ts) || !Long(s, "token_end", out long te)
                || !Long(s, "char_start", out long cs) || !Long(s, "char_end", out long ce))
                return $"a span lacks integer token_start, token_end, char_start or char_end: {Cut(s.GetRawText())}";
            if (tiling.Add(ts, te, cs, ce, chars) is { } wrong)
                return wrong;
        }
        return tiling.End(numTokens);
    }

    /// <summary>What is wrong with a Parquet row of the nextlong layout; null when nothing.</summary>
    public static string? Check(ParquetDocumentRow row, DatasetExpectations expect)
    {
        if (expect.TextTokens is int t && row.NumTokens != t)
            return $"num_tokens is {row.NumTokens}, config.json's target_tokens is {t}";
        long chars = TextLength.Of(row.Text);
        var tiling = new SpanTiling();
        foreach (var s in row.Spans)
        {
            if (tiling.Add(s.TokenStart, s.TokenEnd, s.CharStart, s.CharEnd, chars) is { } wrong)
                return wrong;
        }
        return tiling.End(row.NumTokens);
    }

    private static bool Long(JsonElement e, string name, out long value)
    {
        value = 0;
        return e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out value);
    }

    private static string Cut(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
