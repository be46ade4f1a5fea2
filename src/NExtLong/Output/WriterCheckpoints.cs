using System.Text.Json;
using System.Text.Json.Nodes;

namespace NExtLong.Output;

/// <summary>
/// The checkpoint of a writer made of several: all their files, and their states as one JSON array of
/// {"files", "state"} in writer order, which <see cref="Split"/> hands back one per writer on resume.
/// </summary>
internal static class WriterCheckpoints
{
    public static WriterCheckpoint Combine(IEnumerable<WriterCheckpoint> parts)
    {
        var list = parts.ToList();
        var states = new JsonArray([.. list.Select(p => (JsonNode)new JsonObject
        {
            ["files"] = new JsonArray([.. p.Files.Select(f => (JsonNode)JsonValue.Create(f))]),
            ["state"] = p.State,
        })]);
        return new WriterCheckpoint([.. list.SelectMany(p => p.Files)], states.ToJsonString());
    }

    /// <summary>The checkpoints of <paramref name="count"/> writers from a combined one; null when not resuming.</summary>
    public static IReadOnlyList<WriterCheckpoint>? Split(WriterCheckpoint? combined, int count)
    {
        if (combined is null)
            return null;
        try
        {
            var parts = JsonNode.Parse(combined.State)!.AsArray();
            if (parts.Count != count)
                throw new InvalidDataException($"cannot resume: the saved state holds {parts.Count} writers' states, this run has {count}; delete progress.json to start over");
            return [.. parts.Select(p => new WriterCheckpoint(
                [.. p!["files"]!.AsArray().Select(f => f!.GetValue<string>())], p["state"]!.GetValue<string>()))];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new InvalidDataException($"cannot resume: the writers' saved state is unreadable ({e.Message}); delete progress.json to start over", e);
        }
    }
}
