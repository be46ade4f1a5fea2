using System.Runtime.ExceptionServices;

namespace NExtLong;

/// <summary>
/// Enumerates a sequence on a thread of its own, at most <c>capacity</c> items ahead of the consumer, so that producing
/// the next items (reading and chunking the corpus) overlaps consuming this one (embedding it) instead of alternating
/// with it. Items arrive in the source's order, so what is built from them does not change; memory holds at most
/// capacity + 2 items (queued, being produced, being consumed). The source's failure, cancellation included, is thrown
/// to the consumer where the item it could not produce would have come; a consumer that stops early (or fails) stops
/// the producer and waits for it, so the source is never enumerated after this returns.
/// </summary>
internal static class ReadAhead
{
    public static IEnumerable<T> Of<T>(IEnumerable<T> source, int capacity, string threadName, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var queue = new HandOffQueue<T>(capacity);
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                foreach (var item in source) queue.Add(item, stop.Token);
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                queue.CompleteAdding();
            }
        }) { IsBackground = true, Name = threadName };
        thread.Start();
        try
        {
            foreach (var item in queue.TakeAll(ct)) yield return item;
            thread.Join();
            failure?.Throw();
            // A source that ended early because of the cancellation must not look complete.
            ct.ThrowIfCancellationRequested();
        }
        finally
        {
            stop.Cancel();
            thread.Join();
        }
    }
}
