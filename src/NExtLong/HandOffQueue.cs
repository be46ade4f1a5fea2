namespace NExtLong;

/// <summary>
/// A bounded first-in, first-out hand-off from producer threads to consumer threads, whose waits block at once.
/// </summary>
/// <remarks>
/// BlockingCollection waits on a SemaphoreSlim, which spins and yields the core (sched_yield) some 35 times before it
/// blocks, wherever .NET sees more than one processor. A synthesis runs more threads than cores (the workers, a
/// writer per format, zstd's workers), so every take from an empty writer queue handed the core to a worker and took
/// it back, again and again: 10,406 yields and 5,465 context switches in a 1 s run of 128 x 64K on two cores (136 and
/// 505 on one core, where .NET does not spin); 7,410 and 1,998 with this queue. Here a wait is one Monitor.Wait: a
/// thread that finds the queue empty (or full) sleeps until an item (or room) comes.
/// </remarks>
internal sealed class HandOffQueue<T>
{
    private readonly Queue<T> _items = new();
    private readonly object _gate = new();
    private readonly int _capacity;
    private int _waiting;
    private bool _completed;

    /// <param name="capacity">The most items held; an add waits while the queue holds this many.</param>
    public HandOffQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Appends <paramref name="item"/>, waiting while the queue is full.</summary>
    /// <exception cref="InvalidOperationException"><see cref="CompleteAdding"/> was called.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled before the item went in.</exception>
    public void Add(T item, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            while (_items.Count >= _capacity && !_completed) Wait(ct);
            if (_completed) throw new InvalidOperationException("the queue takes no more items");
            _items.Enqueue(item);
            WakeWaiting();
        }
    }

    /// <summary>Takes the oldest item, waiting while the queue is empty; false once it is empty and complete.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled before an item came out.</exception>
    public bool TryTake(out T item, CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        lock (_gate)
        {
            while (_items.Count == 0 && !_completed) Wait(ct);
            if (_items.Count == 0)
            {
                item = default!;
                return false;
            }
            item = _items.Dequeue();
            WakeWaiting();
            return true;
        }
    }

    /// <summary>The items in order as they come, until the queue is empty and complete.</summary>
    public IEnumerable<T> TakeAll(CancellationToken ct = default)
    {
        while (TryTake(out var item, ct)) yield return item;
    }

    /// <summary>Ends the adding: adds fail from now on, and takes end once the items left are taken.</summary>
    public void CompleteAdding()
    {
        lock (_gate)
        {
            _completed = true;
            WakeWaiting();
        }
    }

    // Adders wait only while the queue is full and takers only while it is empty, so one monitor serves both: a change
    // wakes every waiter to look again (all of them, as the end of the adding must).
    private void WakeWaiting()
    {
        if (_waiting > 0) Monitor.PulseAll(_gate);
    }

    // Under the lock: sleeps until woken by a change or by the cancellation of ct. A cancellation from another thread
    // needs the lock to wake this one, so it cannot come between the check and the wait; one that came before the
    // registration ran its callback here, hence the check after it. The registration is dropped without waiting for
    // its callback, which may be waiting for this lock.
    private void Wait(CancellationToken ct)
    {
        var registration = ct.CanBeCanceled ? ct.Register(static gate => { lock (gate!) Monitor.PulseAll(gate); }, _gate) : default;
        _waiting++;
        try
        {
            if (!ct.IsCancellationRequested) Monitor.Wait(_gate);
        }
        finally
        {
            _waiting--;
            registration.Unregister();
        }
        ct.ThrowIfCancellationRequested();
    }
}
