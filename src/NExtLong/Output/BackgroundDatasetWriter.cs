using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Runs another writer's work (JSON, compression, shard encoding, file writes) on a thread of its own, so that the
/// synthesis workers go on with the next documents instead of waiting for it. Documents are queued in the order
/// they are written and written in that order by that one thread, so the files are the same bytes as when written
/// inline. <see cref="Checkpoint"/> and <see cref="Complete"/> first wait for everything queued, then run on the
/// caller's thread while the writer thread waits for more. At most <c>capacity</c> documents wait, bounding memory.
/// </summary>
/// <remarks>
/// The wrapped writer stays its owner's: disposing this only stops the thread (documents still queued are dropped,
/// as an abandoned run drops them). A failure of the wrapped writer is thrown by the next call here.
/// </remarks>
internal sealed class BackgroundDatasetWriter : IDatasetWriter
{
    private readonly IDatasetWriter _inner;
    private readonly BlockingCollection<(string? Id, SynthesizedDocument? Document, ManualResetEventSlim? Drained)> _queue;
    private readonly Thread _thread;
    private volatile ExceptionDispatchInfo? _failure;
    private volatile bool _abandoned;

    public BackgroundDatasetWriter(IDatasetWriter inner, int capacity)
    {
        _inner = inner;
        _queue = new(capacity);
        _thread = new Thread(WriteQueued) { IsBackground = true, Name = "nextlong dataset writer" };
        _thread.Start();
    }

    public void Write(string id, SynthesizedDocument document)
    {
        _failure?.Throw();
        _queue.Add((id, document, null));
    }

    public WriterCheckpoint Checkpoint()
    {
        Drain();
        return _inner.Checkpoint();
    }

    public IReadOnlyList<string> Complete()
    {
        Drain();
        return _inner.Complete();
    }

    /// <summary>Waits until every document queued so far is written; throws the writer's failure, if any.</summary>
    public void Drain()
    {
        using var drained = new ManualResetEventSlim();
        _queue.Add((null, null, drained));
        drained.Wait();
        _failure?.Throw();
    }

    public void Dispose()
    {
        if (_queue.IsAddingCompleted) return;
        _abandoned = true;
        _queue.CompleteAdding();
        _thread.Join();
        _queue.Dispose();
    }

    private void WriteQueued()
    {
        foreach (var (id, document, drained) in _queue.GetConsumingEnumerable())
        {
            if (drained is not null)
            {
                drained.Set();
                continue;
            }
            if (_failure is not null || _abandoned) continue;
            try
            {
                _inner.Write(id!, document!);
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
        }
    }
}
