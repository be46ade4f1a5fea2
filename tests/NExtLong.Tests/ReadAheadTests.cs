namespace NExtLong.Tests;

/// <summary>ReadAhead: the source's items in order, at most capacity + 2 of them in memory, its failure the consumer's, and an early stop stops it.</summary>
public class ReadAheadTests
{
    [Fact]
    public void Items_come_in_order_and_the_producer_stays_within_capacity_of_the_consumer()
    {
        int produced = 0, consumed = 0, furthestAhead = 0;
        IEnumerable<int> Source()
        {
            for (int i = 0; i < 200; i++)
            {
                Interlocked.Increment(ref produced);
                yield return i;
            }
        }
        var seen = new List<int>();
        foreach (int item in ReadAhead.Of(Source(), capacity: 2, "test reader", TestContext.Current.CancellationToken))
        {
            // Give the producer time to run as far ahead as it may.
            Thread.Sleep(1);
            furthestAhead = Math.Max(furthestAhead, Volatile.Read(ref produced) - consumed);
            seen.Add(item);
            consumed++;
        }
        Assert.Equal(Enumerable.Range(0, 200), seen);
        // Produced but not consumed: the one in hand, 2 queued, and one the producer waits to queue.
        Assert.InRange(furthestAhead, 1, 2 + 2);
    }

    [Fact]
    public void A_failure_of_the_source_is_thrown_to_the_consumer_after_the_items_before_it()
    {
        IEnumerable<int> Source()
        {
            yield return 1;
            yield return 2;
            throw new InvalidDataException("corpus.jsonl line 3: not JSON");
        }
        var seen = new List<int>();
        var error = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (int item in ReadAhead.Of(Source(), 1, "test reader", TestContext.Current.CancellationToken)) seen.Add(item);
        });
        Assert.Equal("corpus.jsonl line 3: not JSON", error.Message);
        Assert.Equal([1, 2], seen);
    }

    [Fact]
    public void A_consumer_that_stops_early_stops_the_producer_before_returning()
    {
        int produced = 0;
        bool disposed = false;
        IEnumerable<int> Source()
        {
            try
            {
                for (int i = 0; ; i++)
                {
                    Interlocked.Increment(ref produced);
                    yield return i;
                }
            }
            finally
            {
                disposed = true;
            }
        }
        Assert.Equal([0, 1, 2], ReadAhead.Of(Source(), 1, "test reader", TestContext.Current.CancellationToken).Take(3).ToList());
        Assert.True(disposed, "the source was left running");
        int after = Volatile.Read(ref produced);
        Thread.Sleep(20);
        Assert.Equal(after, Volatile.Read(ref produced));
    }

    [Fact]
    public void A_cancelled_run_throws_rather_than_ending_as_if_complete()
    {
        using var cts = new CancellationTokenSource();
        IEnumerable<int> Source()
        {
            for (int i = 0; ; i++)
            {
                if (i == 5) cts.Cancel();
                cts.Token.ThrowIfCancellationRequested();
                yield return i;
            }
        }
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (int _ in ReadAhead.Of(Source(), 1, "test reader", cts.Token)) { }
        });
    }
}
