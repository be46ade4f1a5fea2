using System.Runtime.ExceptionServices;
using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// Runs another writer's work (JSON, compression, shard encoding, file writes) on threads of its own, so that the
/// synthesis loop goes on accepting the next documents instead of waiting for it. A composite writer (several
/// formats) gets one thread per format, so the formats are written side by side and no one thread carries all of
/// them. Each thread writes its documents in the order they were queued, so every file is the same bytes as when
/// written inline. <see cref="Checkpoint"/> runs each format's checkpoint on its own thread after the documents
/// queued before it, side by side, and returns when all are done; <see cref="Complete"/> waits for everything
/// queued, then runs on the caller's thread (its deferred renames are that thread's, see <see cref="Pipeline.AtomicFile.Defer"/>).
/// At most <c>capacity</c> documents wait per thread, bounding memory (the documents themselves are shared, not copied).
/// </summary>
internal sealed class BackgroundDatasetWriter : IDatasetWriter, IExpectsDocuments
{
    private readonly IDatasetWriter _inner;
    private readonly Lane[] _lanes;
    private bool _disposed;

    public BackgroundDatasetWriter(IDatasetWriter inner, int capacity)
    {
        _inner = inner;
        var parts = inner is CompositeDatasetWriter composite ? composite.Writers : [inner];
        _lanes = [.. parts.Select((w, i) => new Lane(w, capacity, i))];
    }

    public void Write(string id, SynthesizedDocument document)
    {
        foreach (var lane in _lanes) lane.ThrowIfFailed();
        foreach (var lane in _lanes) lane.Add(id, document);
    }

    /// <summary>Queues the forecast on every format's thread, in order with the documents, for the formats that prepare.</summary>
    public void Expect(int documents)
    {
        foreach (var lane in _lanes) lane.ThrowIfFailed();
        foreach (var lane in _lanes) lane.Run(w =>
        {
            (w as IExpectsDocuments)?.Expect(documents);
            return true;
        });
    }

    public WriterCheckpoint Checkpoint() => CheckpointAsync().GetAwaiter().GetResult();

    /// <summary>
    /// Queues a checkpoint on every format's thread, after the documents queued before it, and returns at once: the
    /// caller goes on queueing documents while the files are made durable. The task gives what <see cref="Checkpoint"/>
    /// returns, or fails with a writer's failure. Not to be awaited after <see cref="Dispose"/>, which drops queued work.
    /// </summary>
    public Task<WriterCheckpoint> CheckpointAsync()
    {
        foreach (var lane in _lanes) lane.ThrowIfFailed();
        var pending = _lanes.Select(lane => lane.Run(w => w.Checkpoint())).ToArray();
        return Task.WhenAll(pending).ContinueWith(all =>
            {
                var parts = all.GetAwaiter().GetResult();
                return _inner is CompositeDatasetWriter ? WriterCheckpoints.Combine(parts) : parts[0];
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public IReadOnlyList<string> Complete()
    {
        Drain();
        return _inner.Complete();
    }

    /// <summary>Waits until every document queued so far is written; throws a writer's failure, if any.</summary>
    public void Drain()
    {
        var pending = _lanes.Select(lane => lane.Run(_ => true)).ToList();
        foreach (var p in pending) p.GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var lane in _lanes) lane.Stop();
    }

    /// <summary>One writer, its queue and its thread.</summary>
    private sealed class Lane
    {
        private readonly IDatasetWriter _writer;
        private readonly HandOffQueue<(string? Id, SynthesizedDocument? Document, Action<IDatasetWriter>? Job)> _queue;
        private readonly Thread _thread;
        private volatile ExceptionDispatchInfo? _failure;
        private volatile bool _abandoned;

        public Lane(IDatasetWriter writer, int capacity, int index)
        {
            _writer = writer;
            _queue = new(capacity);
            _thread = new Thread(WriteQueued) { IsBackground = true, Name = $"nextlong dataset writer {index}" };
            _thread.Start();
        }

        public void ThrowIfFailed() => _failure?.Throw();

        public void Add(string id, SynthesizedDocument document) => _queue.Add((id, document, null));

        /// <summary>Runs <paramref name="job"/> on this lane's thread after everything queued before it; it fails with the writer's failure, if any.</summary>
        public Task<T> Run<T>(Func<IDatasetWriter, T> job)
        {
            var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            _queue.Add((null, null, w =>
            {
                if (_failure is { } failed) done.SetException(failed.SourceException);
                else
                {
                    try { done.SetResult(job(w)); }
                    catch (Exception e) { _failure = ExceptionDispatchInfo.Capture(e); done.SetException(e); }
                }
            }));
            return done.Task;
        }

        public void Stop()
        {
            _abandoned = true;
            _queue.CompleteAdding();
            _thread.Join();
        }

        private void WriteQueued()
        {
            foreach (var (id, document, job) in _queue.TakeAll())
            {
                if (job is not null)
                {
                    if (!_abandoned) job(_writer);
                    continue;
                }
                if (_failure is not null || _abandoned) continue;
                try
                {
                    _writer.Write(id!, document!);
                }
                catch (Exception e)
                {
                    _failure = ExceptionDispatchInfo.Capture(e);
                }
            }
        }
    }
}
