using NExtLong.Output;
using NExtLong.Synthesis;

namespace NExtLong.Tests.Formats;

public class BackgroundDatasetWriterTests
{
    /// <summary>Records what reaches it, slowly, so that documents queue up behind it.</summary>
    private sealed class Recorder(int failAt = -1) : IDatasetWriter
    {
        public readonly List<string> Calls = [];
        public readonly HashSet<int> Threads = [];

        public void Write(string id, SynthesizedDocument document)
        {
            Thread.Sleep(Random.Shared.Next(3));
            if (Calls.Count == failAt) throw new IOException("No space left on device");
            Calls.Add(id);
            Threads.Add(Environment.CurrentManagedThreadId);
        }

        public WriterCheckpoint Checkpoint()
        {
            Calls.Add("checkpoint");
            return new WriterCheckpoint([.. Calls], "");
        }

        public IReadOnlyList<string> Complete()
        {
            Calls.Add("complete");
            return Calls;
        }

        public void Dispose() => Calls.Add("disposed");
    }

    private static SynthesizedDocument Document(int i) => new($"text {i}", 2, $"doc{i}", "src", 6, 1, 1, 1, 0, default, []);

    [Fact]
    public void Documents_reach_the_writer_in_order_and_checkpoints_wait_for_them()
    {
        var inner = new Recorder();
        var expected = new List<string>();
        using (var writer = new BackgroundDatasetWriter(inner, capacity: 3))
        {
            for (int i = 0; i < 40; i++)
            {
                writer.Write($"id-{i}", Document(i));
                expected.Add($"id-{i}");
                if (i % 7 == 6)
                {
                    expected.Add("checkpoint");
                    Assert.Equal(expected, writer.Checkpoint().Files);
                }
            }
            writer.Complete();
            expected.Add("complete");
        }
        // The wrapped writer is its owner's to dispose.
        Assert.Equal(expected, inner.Calls);
    }

    [Fact]
    public void A_failure_of_the_writer_is_thrown_to_the_caller_and_later_documents_are_dropped()
    {
        var inner = new Recorder(failAt: 5);
        using var writer = new BackgroundDatasetWriter(inner, capacity: 2);
        var error = Assert.Throws<IOException>(() =>
        {
            for (int i = 0; i < 50; i++)
                writer.Write($"id-{i}", Document(i));
            writer.Drain();
        });
        Assert.Contains("No space", error.Message);
        Assert.Equal(5, inner.Calls.Count);
        Assert.Throws<IOException>(() => writer.Checkpoint());
    }

    [Fact]
    public void Each_format_of_a_composite_is_written_in_order_on_a_thread_of_its_own()
    {
        Recorder[] formats = [new(), new(), new()];
        var expected = new List<string>();
        using (var writer = new BackgroundDatasetWriter(new CompositeDatasetWriter(formats), capacity: 2))
        {
            for (int i = 0; i < 30; i++)
            {
                writer.Write($"id-{i}", Document(i));
                expected.Add($"id-{i}");
                if (i % 9 == 8)
                {
                    writer.Checkpoint();
                    expected.Add("checkpoint");
                    // Every format has everything queued before the checkpoint, and nothing after it.
                    Assert.All(formats, f => Assert.Equal(expected, f.Calls));
                }
            }
            writer.Drain();
            Assert.All(formats, f => Assert.Equal(expected, f.Calls));
        }
        Assert.All(formats, f => Assert.Single(f.Threads));
        Assert.Equal(3, formats.SelectMany(f => f.Threads).Distinct().Count());
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, formats.SelectMany(f => f.Threads));
    }

    [Fact]
    public void A_failure_of_one_format_is_thrown_while_the_others_go_on()
    {
        Recorder[] formats = [new(), new(failAt: 3)];
        using var writer = new BackgroundDatasetWriter(new CompositeDatasetWriter(formats), capacity: 2);
        var error = Assert.Throws<IOException>(() =>
        {
            for (int i = 0; i < 50; i++)
                writer.Write($"id-{i}", Document(i));
            writer.Drain();
        });
        Assert.Contains("No space", error.Message);
        Assert.Equal(3, formats[1].Calls.Count);
        Assert.Throws<IOException>(() => writer.Drain());
    }
}
