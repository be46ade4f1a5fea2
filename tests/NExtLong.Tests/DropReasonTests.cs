using System.Text.Json;
using NExtLong.Pipeline;
using NExtLong.Synthesis;
using ZstdSharp;

namespace NExtLong.Tests;

/// <summary>
/// Drop reasons are typed in the library and written by fixed snake_case names wherever they reach a file (stats.json,
/// progress.json, a distributed run's candidate blocks), so renaming a member never changes a byte on disk.
/// </summary>
public class DropReasonTests
{
    private static readonly Dictionary<DropReason, string> Names = new()
    {
        [DropReason.EmptyMetaDocument] = "empty_meta_document",
        [DropReason.ShortIndexExhausted] = "short_index_exhausted",
        [DropReason.ShortAfterRetries] = "short_after_retries",
        [DropReason.AnchorNotIndexed] = "anchor_not_indexed",
        [DropReason.ShortCorpusExhausted] = "short_corpus_exhausted",
        [DropReason.IclmNotOnPath] = "iclm_not_on_path",
        [DropReason.IclmWindowTaken] = "iclm_window_taken",
    };

    [Fact]
    public void Every_reason_is_written_and_read_by_its_stable_name()
    {
        Assert.Equal(Enum.GetValues<DropReason>().Order(), Names.Keys.Order());
        foreach (var (reason, name) in Names)
        {
            Assert.Equal($"\"{name}\"", JsonSerializer.Serialize(reason));
            Assert.Equal(reason, JsonSerializer.Deserialize<DropReason>($"\"{name}\""));
        }
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DropReason>("\"no_such_reason\""));
    }

    [Fact]
    public void Stats_json_and_progress_json_count_drops_by_name()
    {
        var stats = new SynthesisStats();
        stats.Drop(DropReason.ShortAfterRetries);
        stats.Drop(DropReason.AnchorNotIndexed);
        stats.Drop(DropReason.ShortAfterRetries);
        // stats.json: names in ordinal order, whatever the order of the members or of the drops.
        Assert.Equal("""{"anchor_not_indexed":1,"short_after_retries":2}""", JsonSerializer.Serialize(stats.ToJson()["dropped"]));
        // progress.json holds the stats whole: the reasons are dictionary keys by the same names, read back typed.
        var json = new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
        string saved = JsonSerializer.Serialize(stats, json);
        Assert.Contains("""
            "Dropped":{"short_after_retries":2,"anchor_not_indexed":1}
            """, saved);
        Assert.Equal(stats.Dropped, JsonSerializer.Deserialize<SynthesisStats>(saved, json)!.Dropped);
    }

    [Fact]
    public void A_candidate_block_keeps_each_reason_by_name_and_reads_it_back()
    {
        string path = Path.Combine(TempDir.Create(), "block-00000");
        Synthesizer.Outcome[] outcomes = [new(null, DropReason.IclmWindowTaken), new(null, DropReason.EmptyMetaDocument)];
        CandidateBlock.Write(path, 8, outcomes);
        using (var reader = new StreamReader(new DecompressionStream(File.OpenRead(path))))
        {
            Assert.Equal("""{"Candidate":8,"Document":null,"Drop":"iclm_window_taken"}""", reader.ReadLine());
            Assert.Equal("""{"Candidate":9,"Document":null,"Drop":"empty_meta_document"}""", reader.ReadLine());
        }
        Assert.Equal(outcomes, CandidateBlock.Read(path, 8, 2));
    }
}
