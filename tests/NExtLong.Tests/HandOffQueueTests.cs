namespace NExtLong.Tests;

/// <summary>HandOffQueue: items in order from several producers, adds that wait for room, takes that end with the adding, and cancellable waits.</summary>
public class HandOffQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public void Items_come_out_in_the_order_each_producer_added_them_and_none_is_lost()
    {
        var queue = new HandOffQueue<(int Producer, int Item)>(capacity: 3);
        const int perProducer = 2_000;
        var producers = Enumerable.Range(0, 3).Select(p => Task.Factory.StartNew(() =>
        {
            for (int i = 0; i < perProducer; i++) queue.Add((p, i));
        }, TaskCreationOptions.LongRunning)).ToArray();
        var taken = new List<(int Producer, int Item)>[2];
        var consumers = Enumerable.Range(0, 2).Select(c => Task.Factory.StartNew(() =>
        {
            taken[c] = [.. queue.TakeAll()];
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(producers, Patience));
        queue.CompleteAdding();
        Assert.True(Task.WaitAll(consumers, Patience));

        for (int p = 0; p < 3; p++)
        {
            // Each consumer sees a producer's items in the order added; together they see every item once.
            foreach (var mine in taken)
            {
                var items = mine.Where(x => x.Producer == p).Select(x => x.Item).ToList();
                Assert.Equal(items.Order(), items);
            }
            Assert.Equal(Enumerable.Range(0, perProducer), taken.SelectMany(t => t).Where(x => x.Producer == p).Select(x => x.Item).Order());
        }
    }

    [Fact]
    public void An_add_to_a_full_queue_waits_until_an_item_is_taken()
    {
        var queue = new HandOffQueue<int>(capacity: 2);
        queue.Add(1);
        queue.Add(2);
        var third = Task.Factory.StartNew(() => queue.Add(3), TaskCreationOptions.LongRunning);
        Assert.False(third.Wait(TimeSpan.FromMilliseconds(200)));
        Assert.True(queue.TryTake(out int first));
        Assert.Equal(1, first);
        Assert.True(third.Wait(Patience));
        queue.CompleteAdding();
        Assert.Equal([2, 3], queue.TakeAll());
    }

    [Fact]
    public void A_take_from_an_empty_queue_waits_for_an_item_and_ends_when_the_adding_does()
    {
        var queue = new HandOffQueue<string>(capacity: 1);
        var take = Task.Factory.StartNew(() => queue.TryTake(out var item) ? item : null, TaskCreationOptions.LongRunning);
        Assert.False(take.Wait(TimeSpan.FromMilliseconds(200)));
        queue.Add("doc");
        Assert.True(take.Wait(Patience));
        Assert.Equal("doc", take.Result);

        var ended = Task.Factory.StartNew(() => queue.TryTake(out _), TaskCreationOptions.LongRunning);
        Assert.False(ended.Wait(TimeSpan.FromMilliseconds(200)));
        queue.CompleteAdding();
        Assert.True(ended.Wait(Patience));
        Assert.False(ended.Result);
        Assert.Throws<InvalidOperationException>(() => queue.Add("late"));
    }

    [Fact]
    public void Items_added_before_the_end_are_still_taken()
    {
        var queue = new HandOffQueue<int>(capacity: 4);
        queue.Add(7);
        queue.Add(8);
        queue.CompleteAdding();
        Assert.Equal([7, 8], queue.TakeAll());
        Assert.False(queue.TryTake(out _));
    }

    [Fact]
    public void A_waiting_add_or_take_is_cancelled_by_its_token_and_the_queue_goes_on()
    {
        var queue = new HandOffQueue<int>(capacity: 1);
        using var stopTake = new CancellationTokenSource();
        var take = Task.Factory.StartNew(() => queue.TryTake(out _, stopTake.Token), TaskCreationOptions.LongRunning);
        Assert.False(take.Wait(TimeSpan.FromMilliseconds(200)));
        stopTake.Cancel();
        Assert.IsType<OperationCanceledException>(Assert.Throws<AggregateException>(() => take.Wait(Patience)).InnerException, exactMatch: false);

        queue.Add(1);
        using var stopAdd = new CancellationTokenSource();
        var add = Task.Factory.StartNew(() => queue.Add(2, stopAdd.Token), TaskCreationOptions.LongRunning);
        Assert.False(add.Wait(TimeSpan.FromMilliseconds(200)));
        stopAdd.Cancel();
        Assert.IsType<OperationCanceledException>(Assert.Throws<AggregateException>(() => add.Wait(Patience)).InnerException, exactMatch: false);

        // A token cancelled before the call throws at once, even where the call would not have waited.
        Assert.ThrowsAny<OperationCanceledException>(() => queue.TryTake(out _, stopTake.Token));
        queue.CompleteAdding();
        Assert.Equal([1], queue.TakeAll());
    }

    [Fact]
    public void The_capacity_is_at_least_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HandOffQueue<int>(0));
    }
}
