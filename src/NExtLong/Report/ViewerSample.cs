using System.Text.Json;
using System.Text.Json.Nodes;

namespace NExtLong.Report;

/// <summary>
/// A whole document as the viewer takes it: each span's text cut out of the document (so the page needs no offset
/// arithmetic) with its role, meta-chunk, source document, rank, similarity and token count.
/// </summary>
internal static class ViewerSample
{
    public static JsonObject From(JsonElement doc, string dataset)
    {
        string text = doc.GetProperty("text").GetString()!;
        var offsets = new ScalarOffsets(text);
        var spans = new JsonArray();
        foreach (var span in doc.GetProperty("spans").EnumerateArray())
        {
            int from = offsets.IndexOf(span.GetProperty("char_start").GetInt32());
            int to = offsets.IndexOf(span.GetProperty("char_end").GetInt32());
            var similarity = span.GetProperty("similarity");
            spans.Add((JsonNode)new JsonObject
            {
                ["role"] = span.GetProperty("role").GetString(),
                ["metaChunk"] = span.GetProperty("meta_chunk").GetInt32(),
                ["rank"] = span.GetProperty("rank").GetInt32(),
                ["similarity"] = similarity.ValueKind == JsonValueKind.Number ? similarity.GetDouble() : null,
                ["cosine"] = span.TryGetProperty("cosine", out var cosine) && cosine.ValueKind == JsonValueKind.Number ? cosine.GetDouble() : null,
                ["document"] = span.GetProperty("document").GetString(),
                ["source"] = span.GetProperty("source").GetString(),
                ["tokenStart"] = span.GetProperty("token_start").GetInt32(),
                ["tokens"] = span.GetProperty("token_end").GetInt32() - span.GetProperty("token_start").GetInt32(),
                ["truncated"] = span.GetProperty("truncated").GetBoolean(),
                ["text"] = text[from..to],
            });
        }
        var meta = doc.GetProperty("meta_document");
        return new JsonObject
        {
            ["dataset"] = dataset,
            ["id"] = doc.GetProperty("id").GetString(),
            ["metaDocument"] = meta.GetProperty("id").GetString(),
            ["metaChunks"] = meta.GetProperty("meta_chunks").GetInt32(),
            ["k"] = doc.GetProperty("k").GetInt32(),
            ["tokens"] = doc.GetProperty("num_tokens").GetInt32(),
            ["spans"] = spans,
        };
    }
}
