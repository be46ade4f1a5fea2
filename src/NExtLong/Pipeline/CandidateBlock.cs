using System.Text.Json;
using ZstdSharp;

using NExtLong.Synthesis;

namespace NExtLong.Pipeline;

/// <summary>
/// The work unit of distributed synthesis: a run of consecutive candidates (in the order synthesis tries them).
/// A rank synthesizes every candidate of its blocks — an outcome depends only on its candidate and E — and saves
/// the outcomes; the merge then accepts them in candidate order exactly as a local run does, so the dataset does
/// not depend on how many ranks made it. The size is fixed by the candidate count alone.
/// </summary>
internal static class CandidateBlock
{
    /// <summary>Candidates per block: about 256 blocks, each big enough to keep a node's threads busy.</summary>
    public static int Size(int candidateCount) => Math.Clamp((candidateCount + 255) / 256, 4, 64);

    public static int Count(int candidateCount) => (candidateCount + Size(candidateCount) - 1) / Size(candidateCount);

    public static string Name(int block) => $"block-{block:D5}";

    public static (int First, int End) Range(int block, int candidateCount)
    {
        int size = Size(candidateCount);
        return (block * size, Math.Min(candidateCount, (block + 1) * size));
    }

    internal sealed record Line(int Candidate, SynthesizedDocument? Document, DropReason? Drop);

    // Round-trips every value exactly: the merge recomputes stats and token counts from what it reads back.
    private static readonly JsonSerializerOptions Json = JsonContracts.Make(new System.Text.Json.JsonSerializerOptions
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Writes a block's outcomes (zstd-compressed JSON lines) under a temporary name and renames it into place.</summary>
    public static void Write(string path, int firstCandidate, IReadOnlyList<Synthesizer.Outcome> outcomes)
    {
        string temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var zstd = new CompressionStream(file, 3))
        {
            var lines = new Output.JsonLines(new JsonWriterOptions { Encoder = Json.Encoder });
            for (int i = 0; i < outcomes.Count; i++)
            {
                JsonSerializer.Serialize(lines.Start(), new Line(firstCandidate + i, outcomes[i].Document, outcomes[i].DropReason), Json.Info<Line>());
                lines.AppendTo(zstd);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Reads back a block written by <see cref="Write"/>, checking that it holds the expected candidates.</summary>
    public static Synthesizer.Outcome[] Read(string path, int firstCandidate, int count)
    {
        var outcomes = new Synthesizer.Outcome[count];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        using var zstd = new DecompressionStream(file);
        using var reader = new StreamReader(zstd, System.Text.Encoding.UTF8);
        int n = 0;
        while (reader.ReadLine() is { } text)
        {
            Line line;
            try
            {
                line = Json.Deserialize<Line>(text) ?? throw new InvalidDataException("null line");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: line {n + 1} is not a candidate outcome ({e.Message}); delete the block and its completion marker to redo it", e);
            }
            if (n >= count || line.Candidate != firstCandidate + n)
                throw new InvalidDataException($"{path}: line {n + 1} holds candidate {line.Candidate}, expected {firstCandidate + n}");
            outcomes[n++] = new Synthesizer.Outcome(line.Document, line.Drop);
        }
        if (n != count) throw new InvalidDataException($"{path}: holds {n} outcomes, expected {count}");
        return outcomes;
    }
}
