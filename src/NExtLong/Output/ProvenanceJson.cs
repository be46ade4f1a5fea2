using System.Text.Json;
using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Where a synthesized document came from, as JSON properties: "num_tokens", "meta_document" {"id", "source",
/// "chars", "meta_chunks"}, "k", "attempts", "near_duplicates_skipped" and "spans" (every piece's role, origin,
/// similarity and character/token offsets). Shared by the JSON lines and the text MDS formats.
/// </summary>
public static class ProvenanceJson
{
    /// <summary>Writes the properties into the object <paramref name="w"/> has open.</summary>
    public static void WriteProperties(Utf8JsonWriter w, SynthesizedDocument doc)
    {
        w.WriteNumber("num_tokens", doc.TokenCount);
        w.WriteStartObject("meta_document");
        w.WriteString("id", doc.MetaDocumentId);
        w.WriteString("source", doc.MetaDocumentSource);
        w.WriteNumber("chars", doc.MetaDocumentChars);
        w.WriteNumber("meta_chunks", doc.MetaChunks);
        w.WriteEndObject();
        w.WriteNumber("k", doc.K);
        w.WriteNumber("attempts", doc.Attempts);
        w.WriteNumber("near_duplicates_skipped", doc.NearDuplicatesSkipped);
        w.WriteStartArray("spans");
        foreach (var s in doc.Spans)
        {
            w.WriteStartObject();
            w.WriteString("role", RoleName(s.Role));
            w.WriteNumber("meta_chunk", s.MetaChunk);
            w.WriteNumber("chunk_id", s.ChunkId);
            w.WriteString("document", s.DocumentId);
            w.WriteString("source", s.Source);
            w.WriteNumber("rank", s.Rank);
            if (s.Similarity is float sim) w.WriteNumber("similarity", Math.Round(sim, 6));
            else w.WriteNull("similarity");
            w.WriteNumber("char_start", s.CharStart);
            w.WriteNumber("char_end", s.CharEnd);
            w.WriteNumber("token_start", s.TokenStart);
            w.WriteNumber("token_end", s.TokenEnd);
            w.WriteBoolean("truncated", s.Truncated);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    public static string RoleName(SpanRole role) => role switch
    {
        SpanRole.Meta => "meta",
        SpanRole.Negative => "negative",
        SpanRole.Repeat => "repeat",
        _ => "document",
    };
}
