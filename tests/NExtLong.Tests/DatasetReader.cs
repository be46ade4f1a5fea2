using System.Text.Json;
using ZstdSharp;

namespace NExtLong.Tests;

/// <summary>Reads a dataset folder's part-*.jsonl.zst back, independently of the writer.</summary>
internal static class DatasetReader
{
    public static List<JsonElement> ReadDocuments(string dir)
    {
        Verified.IfComplete(dir);
        var docs = new List<JsonElement>();
        foreach (var part in Directory.GetFiles(dir, "part-*.jsonl.zst").Order(StringComparer.Ordinal))
        {
            using var stream = new DecompressionStream(File.OpenRead(part));
            using var reader = new StreamReader(stream);
            for (string? line; (line = reader.ReadLine()) is not null;)
                docs.Add(JsonDocument.Parse(line).RootElement.Clone());
        }
        return docs;
    }

    /// <summary>text[start:end] with Python (Unicode scalar) indexes.</summary>
    public static string PythonSlice(string text, int start, int end)
    {
        int from = TextLength.Utf16IndexOf(text, start);
        int to = TextLength.Utf16IndexOf(text, end);
        return text[from..to];
    }
}
