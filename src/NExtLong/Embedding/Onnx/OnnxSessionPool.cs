using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// A fixed set of inference sessions over one model, lent to one caller at a time, so that Embed calls from several
/// threads each run on a session of their own with its own single intra-op thread.
/// </summary>
internal sealed class OnnxSessionPool : IDisposable
{
    private readonly InferenceSession[] _sessions;
    private readonly ConcurrentBag<InferenceSession> _free;
    private readonly SemaphoreSlim _available;

    /// <param name="modelPath">The model.onnx file every session loads.</param>
    /// <param name="runtime">Resolved options (<see cref="OnnxRuntimeOptions.Resolve"/>).</param>
    public OnnxSessionPool(string modelPath, OnnxRuntimeOptions runtime)
    {
        if (runtime.Sessions is not >= 1 || runtime.Threads is not >= 1 || runtime.BatchWindows < 1)
            throw new ArgumentException($"sessions, threads and batch must be at least 1 (got {runtime.Sessions}, {runtime.Threads}, {runtime.BatchWindows}).");
        _sessions = new InferenceSession[runtime.Sessions.Value];
        try
        {
            for (int i = 0; i < _sessions.Length; i++)
                _sessions[i] = Create(modelPath, runtime);
        }
        catch
        {
            foreach (var s in _sessions)
                s?.Dispose();
            throw;
        }
        _free = new ConcurrentBag<InferenceSession>(_sessions);
        _available = new SemaphoreSlim(_sessions.Length, _sessions.Length);
    }

    /// <summary>Any session, for reading the graph's metadata.</summary>
    public InferenceSession First => _sessions[0];

    public InferenceSession Rent()
    {
        _available.Wait();
        _free.TryTake(out var session);
        return session!;
    }

    public void Return(InferenceSession session)
    {
        _free.Add(session);
        _available.Release();
    }

    public void Dispose()
    {
        foreach (var s in _sessions)
            s.Dispose();
        _available.Dispose();
    }

    private static InferenceSession Create(string modelPath, OnnxRuntimeOptions runtime)
    {
        using var options = new SessionOptions
        {
            IntraOpNumThreads = runtime.Threads!.Value,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            // Warnings about graph clean-up would land in the user's progress output.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        ExecutionProviders.Append(options, runtime.Provider, runtime.Device);
        try
        {
            return new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException e) when (ExecutionProviders.IsGpu(runtime.Provider) && ExecutionProviders.IsDeviceFailure(e))
        {
            // A GPU build on a machine without a usable GPU fails here, not when the provider is added.
            throw ExecutionProviders.Unavailable(runtime.Provider, runtime.Device, e);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{modelPath}: ONNX Runtime cannot load it ({e.Message})", e);
        }
    }
}
