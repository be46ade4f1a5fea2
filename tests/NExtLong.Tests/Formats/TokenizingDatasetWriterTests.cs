using NExtLong.Output;

namespace NExtLong.Tests.Formats;

/// <summary>The tokenized formats' checkpoints (an MDS shard's last write and fsync, the Megatron .bin's fsync) run side by side.</summary>
public sealed class TokenizingDatasetWriterTests
{
    /// <summary>A sink whose checkpoint waits at a barrier that every sink's checkpoint must reach, or fails.</summary>
    private sealed class Sink(string name, Barrier all, Exception? failure = null) : ITokenSequenceWriter
    {
        public bool CheckpointEnded { get; private set; }

        public void Write(ReadOnlySpan<int> inputIds, ReadOnlySpan<TokenRange> documents, string domain) { }

        public void Expect(int sequences) { }

        public WriterCheckpoint Checkpoint()
        {
            if (!all.SignalAndWait(TimeSpan.FromSeconds(20)))
                throw new TimeoutException($"{name}: the other sinks' checkpoints did not run beside this one");
            CheckpointEnded = true;
            if (failure is not null) throw failure;
            return new WriterCheckpoint([name + ".file"], name + "-state");
        }

        public IReadOnlyList<string> Complete() => [name];

        public void Dispose() { }
    }

    [Fact]
    public void Sinks_checkpoint_side_by_side_and_their_states_keep_the_sinks_order()
    {
        using var barrier = new Barrier(3);
        var sinks = new[] { new Sink("mds", barrier), new Sink("megatron", barrier), new Sink("third", barrier) };
        var writer = new TokenizingDatasetWriter(new SpecialTokenPolicy(null, null), sinks);
        var checkpoint = writer.Checkpoint();
        Assert.Equal(["mds.file", "megatron.file", "third.file"], checkpoint.Files);
        var split = WriterCheckpoints.Split(checkpoint, 3)!;
        Assert.Equal(["mds-state", "megatron-state", "third-state"], split.Select(s => s.State));
    }

    [Fact]
    public void A_failed_sink_checkpoint_is_thrown_after_every_sink_has_ended()
    {
        using var barrier = new Barrier(2);
        var failing = new Sink("megatron", barrier, new IOException("No space left on device"));
        var first = new Sink("mds", barrier);
        var writer = new TokenizingDatasetWriter(new SpecialTokenPolicy(null, null), [first, failing]);
        var e = Assert.Throws<IOException>(() => writer.Checkpoint());
        Assert.Equal("No space left on device", e.Message);
        Assert.True(first.CheckpointEnded && failing.CheckpointEnded);
    }
}
