using System.Text.Json;
using NExtLong.Output.Mds;
using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Where a synthesized document came from, as JSON properties: "num_tokens", "meta_document" {"id", "source",
/// "chars", "meta_chunks"}, "k", "attempts", "near_duplicates_skipped", "false_negatives_skipped" {by reason} and "spans" (every piece's role, origin,
/// similarity and character/token offsets). Shared by the JSON lines and the text MDS formats.
/// </summary>
internal static class ProvenanceJson
{
    /// <summary>Writes the properties into the object <paramref name="w"/> has open.</summary>
    public static void WriteProperties(Utf8JsonWriter w, SynthesizedDocument doc) => WriteProperties(new Utf8JsonSink(w), doc);

    /// <summary>Writes the properties into the object <paramref name="w"/> has open, as Python's json.dumps would.</summary>
    public static void WriteProperties(PythonJsonWriter w, SynthesizedDocument doc) => WriteProperties(new PythonJsonSink(w), doc);

    private static void WriteProperties<TSink>(TSink w, SynthesizedDocument doc) where TSink : IJsonSink
    {
        w.Number("num_tokens", doc.TokenCount);
        w.StartObject("meta_document");
        w.String("id", doc.MetaDocumentId);
        w.String("source", doc.MetaDocumentSource);
        w.Number("chars", doc.MetaDocumentChars);
        w.Number("meta_chunks", doc.MetaChunks);
        w.EndObject();
        w.Number("k", doc.K);
        w.Number("attempts", doc.Attempts);
        w.Number("near_duplicates_skipped", doc.NearDuplicatesSkipped);
        w.StartObject("false_negatives_skipped");
        foreach (var (reason, count) in doc.FalseNegativesSkipped.ByReason()) w.Number(reason, count);
        w.EndObject();
        w.StartArray("spans");
        foreach (var s in doc.Spans)
        {
            w.StartElementObject();
            w.String("role", RoleName(s.Role));
            w.Number("meta_chunk", s.MetaChunk);
            w.Number("chunk_id", s.ChunkId);
            w.String("document", s.DocumentId);
            w.String("source", s.Source);
            w.Number("rank", s.Rank);
            if (s.Similarity is float sim) w.Float("similarity", Math.Round(sim, 6));
            else w.Null("similarity");
            // Only where the similarity is not a cosine and the index has vectors (bm25 over hybrid): other datasets' lines stay as they were.
            if (s.Cosine is float cosine) w.Float("cosine", Math.Round(cosine, 6));
            w.Number("char_start", s.CharStart);
            w.Number("char_end", s.CharEnd);
            w.Number("token_start", s.TokenStart);
            w.Number("token_end", s.TokenEnd);
            w.Boolean("truncated", s.Truncated);
            w.EndObject();
        }
        w.EndArray();
    }

    public static string RoleName(SpanRole role) => role switch
    {
        SpanRole.Meta => "meta",
        SpanRole.Negative => "negative",
        SpanRole.Repeat => "repeat",
        _ => "document",
    };
}
