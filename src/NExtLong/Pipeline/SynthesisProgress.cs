using System.Text.Json;

using NExtLong.Synthesis;

namespace NExtLong.Pipeline;

/// <summary>
/// Where a synthesis run stands at a checkpoint: the next candidate to try, what each source still needs, the
/// stats so far, and the writer's own resume state. Saved as progress.json; a rerun continues from it.
/// </summary>
internal sealed class SynthesisProgress
{
    public int NextCandidate { get; set; }
    public required int[] Remaining { get; set; }
    public required SynthesisStats Stats { get; set; }
    public Output.WriterCheckpoint? Writer { get; set; }

    public string Serialize() => SynthesisStats.CheckpointJson.Serialize(this);

    /// <summary>A copy that later changes to this one do not reach: what a checkpoint saves once its files are durable.</summary>
    public SynthesisProgress Snapshot() => Deserialize(Serialize(), "a checkpoint's state");

    public static SynthesisProgress Deserialize(string json, string path)
    {
        try
        {
            return SynthesisStats.CheckpointJson.Deserialize<SynthesisProgress>(json) ?? throw new InvalidDataException($"{path}: empty progress file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable progress file ({e.Message}); delete it to start over", e);
        }
    }
}
