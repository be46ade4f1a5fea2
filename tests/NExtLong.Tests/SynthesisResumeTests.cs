using NExtLong.Output;
using NExtLong.Pipeline;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

public class SynthesisResumeTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private SynthesisStage.Options Options(string outDir) => new()
    {
        IndexDir = sample.IndexDir,
        Corpus = new() { Inputs = [SampleIndexFixture.SamplePath] },
        OutDir = outDir,
        Synthesis = new SynthesisOptions { TargetTokens = 8192, NumSamples = 14, DocumentsPerPart = 5 },
        Execution = new() { Threads = 2 },
    };

    [Fact]
    public void An_interrupted_run_resumes_from_its_last_checkpoint_and_ends_byte_identical()
    {
        string whole = Path.Combine(sample.Root, "resume-whole"), resumed = Path.Combine(sample.Root, "resume-cut");
        SynthesisStage.Run(Options(whole));

        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => SynthesisStage.Run(Options(resumed),
            (phase, done, _) => { if (phase == "synthesize" && done >= 6) cts.Cancel(); }, cts.Token));
        Assert.True(File.Exists(Path.Combine(resumed, SynthesisStage.ProgressFile)));
        Assert.False(File.Exists(Path.Combine(resumed, SynthesisStage.StatsFile)));
        var partsBefore = Directory.GetFiles(resumed, "part-*.jsonl.zst").Select(Path.GetFileName).Order().ToList();
        // Cut mid-way through the second part: the first is complete, the second was abandoned unnamed.
        Assert.Equal(["part-00000.jsonl.zst"], partsBefore);
        Assert.Empty(Directory.GetFiles(resumed, "*.tmp"));
        var firstPartTime = File.GetLastWriteTimeUtc(Path.Combine(resumed, "part-00000.jsonl.zst"));

        var outcome = SynthesisStage.Run(Options(resumed));
        Assert.Equal(14, outcome.Stats!.DocumentsWritten);
        // Completed parts were kept, not rewritten.
        Assert.Equal(firstPartTime, File.GetLastWriteTimeUtc(Path.Combine(resumed, "part-00000.jsonl.zst")));
        Assert.False(File.Exists(Path.Combine(resumed, SynthesisStage.ProgressFile)));
        var files = Directory.GetFiles(whole).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(resumed).Select(Path.GetFileName).Order().ToList());
        foreach (var f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(resumed, f!))), $"{f} differs after resume");
    }

    /// <summary>
    /// A format's queue rides out a shard's write and flush with documents to spare, yet holds about the same memory
    /// (~16 bytes a token, 128 MiB) at any T, and never fewer than two documents per worker.
    /// </summary>
    [Theory]
    [InlineData(2, 65_536, 128)]
    [InlineData(2, 131_072, 64)]
    [InlineData(2, 524_288, 16)]
    [InlineData(64, 524_288, 128)]
    [InlineData(2, 1_048_576, 8)]
    [InlineData(2, 16, 4096)]
    public void The_writers_queues_hold_about_the_same_memory_at_any_target(int threads, int targetTokens, int documents)
        => Assert.Equal(documents, SynthesisLoop.WriterQueueCapacity(threads, targetTokens));

    /// <summary>
    /// A run killed while writing its config.json leaves only that file's temporary twin beside the folder's marker: the
    /// rerun makes the dataset (a leftover .tmp holds no dataset of another configuration) and removes the leftover.
    /// </summary>
    [Fact]
    public void A_run_killed_while_writing_its_config_is_rerun_without_overwrite()
    {
        string whole = Path.Combine(sample.Root, "config-kill-whole"), killed = Path.Combine(sample.Root, "config-kill");
        SynthesisStage.Run(Options(whole));
        SynthesisStage.Run(Options(killed));
        foreach (string f in Directory.GetFiles(killed).Where(f => Path.GetFileName(f) != ".nextlong")) File.Delete(f);
        string leftover = Path.Combine(killed, SynthesisStage.ConfigFile + ".0123456789abcdef0123456789abcdef.tmp");
        File.WriteAllText(leftover, "{\"cut\": ");
        Assert.False(SynthesisStage.Run(Options(killed)).Reused);
        Assert.False(File.Exists(leftover));
        var files = Directory.GetFiles(whole).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(files, Directory.GetFiles(killed).Select(Path.GetFileName).Order().ToList());
        foreach (var f in files.Where(f => f!.StartsWith("part-", StringComparison.Ordinal)))
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(killed, f!))), $"{f} differs");
    }

    [Fact]
    public void A_finished_dataset_is_not_redone_and_another_configuration_needs_overwrite()
    {
        string dir = Path.Combine(sample.Root, "finished");
        Assert.False(SynthesisStage.Run(Options(dir)).Reused);
        Assert.True(SynthesisStage.Run(Options(dir)).Reused);
        var other = Options(dir) with { Synthesis = Options(dir).Synthesis with { Seed = 7 } };
        Assert.Contains("--overwrite", Assert.Throws<IOException>(() => SynthesisStage.Run(other)).Message);
        Assert.False(SynthesisStage.Run(other with { Execution = other.Execution with { Overwrite = true } }).Reused);
    }

    private static readonly DatasetOutputOptions EveryFormat = new()
    {
        Formats = [DatasetFormat.JsonlZst, DatasetFormat.Mds, DatasetFormat.MdsText, DatasetFormat.Megatron, DatasetFormat.Parquet],
    };

    // What a run killed between a discard's rename and its unlink leaves: one such file in every folder of the dataset.
    private static List<string> LeaveDiscarded(string dir)
    {
        var left = Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).Prepend(dir)
            .Select(folder => Path.Combine(folder, $".nextlong-discarded-{Guid.NewGuid():N}.tmp")).ToList();
        foreach (string f in left) File.WriteAllText(f, "left");
        return left;
    }

    private static List<string> Discarded(string dir) =>
        [.. Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => Discard.IsDiscarded(Path.GetFileName(f)))];

    /// <summary>
    /// An overwrite discards the dataset it replaces in every format (jsonl.zst parts, MDS and text-MDS shards, the
    /// Megatron .bin, Parquet files) and what a killed run left discarded: the new dataset is the same bytes as one made
    /// in an empty folder, and nothing discarded is left.
    /// </summary>
    [Fact]
    public void An_overwrite_leaves_what_an_empty_folder_gets_and_nothing_discarded()
    {
        string replaced = Path.Combine(sample.Root, "overwrite-replaced"), fresh = Path.Combine(sample.Root, "overwrite-fresh");
        var first = Options(replaced) with { Output = EveryFormat };
        SynthesisStage.Run(first);
        Assert.Equal(7, LeaveDiscarded(replaced).Count);  // the folder, mds, mds/<source>, mds-text, mds-text/<source>, megatron, data
        var second = first with { Synthesis = first.Synthesis with { Seed = 7 }, Execution = first.Execution with { Overwrite = true } };
        Assert.False(SynthesisStage.Run(second).Reused);
        SynthesisStage.Run(second with { OutDir = fresh });
        Assert.Empty(Discarded(replaced));
        var files = Directory.EnumerateFiles(fresh, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(fresh, f)).Order().ToList();
        Assert.Equal(files, Directory.EnumerateFiles(replaced, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(replaced, f)).Order().ToList());
        foreach (var f in files.Where(f => f != OutputFolder.MarkerFile))
            Assert.True(File.ReadAllBytes(Path.Combine(fresh, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(replaced, f))), $"{f} differs");
    }

    /// <summary>A resumed run removes what a killed run left discarded too, in every folder, and keeps what it resumes.</summary>
    [Fact]
    public void A_resumed_run_removes_what_was_left_discarded()
    {
        string whole = Path.Combine(sample.Root, "discard-resume-whole"), resumed = Path.Combine(sample.Root, "discard-resume");
        SynthesisStage.Run(Options(whole) with { Output = EveryFormat });
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => SynthesisStage.Run(Options(resumed) with { Output = EveryFormat },
            (phase, done, _) => { if (phase == "synthesize" && done >= 6) cts.Cancel(); }, cts.Token));
        Assert.True(File.Exists(Path.Combine(resumed, SynthesisStage.ProgressFile)));
        LeaveDiscarded(resumed);
        Assert.Equal(14, SynthesisStage.Run(Options(resumed) with { Output = EveryFormat }).Stats!.DocumentsWritten);
        Assert.Empty(Discarded(resumed));
        foreach (var f in Directory.EnumerateFiles(whole, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(whole, f)).Where(f => f != OutputFolder.MarkerFile))
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(resumed, f))), $"{f} differs after resume");
    }
}
