using System.Buffers;
using System.IO.Hashing;
using System.Numerics.Tensors;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// Embeds chunks with an ONNX sentence-embedding model (jina-embeddings-v3, bge, e5, gte, MiniLM, USE-lite…) on ONNX
/// Runtime. A chunk longer than the model's window is cut into consecutive windows that each get the model's special
/// tokens and prefix; each window is pooled (mean or CLS), truncated to the first <see cref="Dimension"/> values,
/// normalised, and the windows are averaged weighted by their content tokens, so the whole chunk counts.
/// </summary>
/// <remarks>
/// Windows are grouped by padded length (a multiple of <see cref="LengthBucket"/> tokens) and run in batches of one
/// group, so the padding a window gets depends only on its own length, whatever else is embedded with it.
/// </remarks>
internal sealed class OnnxEmbedder : IEmbedder
{
    /// <summary>Window lengths are padded up to a multiple of this.</summary>
    public const int LengthBucket = 16;

    private static readonly RunOptions Run = new();

    private readonly OnnxSessionPool _pool;
    private readonly ModelTokenizer _tokenizer;
    private readonly int[] _windowStart;
    private readonly int[] _windowEnd;
    private readonly int _maxTokens;
    private readonly int _contentTokens;
    private readonly int _stride;
    private readonly int _hidden;
    private readonly bool _normalizeWindows;
    private readonly string _pooling;
    private readonly string _output;
    private readonly int _batchWindows;
    private readonly (string Name, TensorElementType Type, int[] Dims)? _mask, _types, _task;
    private readonly (string Name, TensorElementType Type) _ids;
    private readonly long _taskId;

    private OnnxEmbedder(string spec, string dir, OnnxEmbedderSettings settings, ModelTokenizer tokenizer, OnnxSessionPool pool, OnnxRuntimeOptions runtime)
    {
        Spec = spec;
        Settings = settings;
        _pool = pool;
        _tokenizer = tokenizer;
        _batchWindows = runtime.BatchWindows;
        _windowStart = [.. tokenizer.WindowStart];
        _windowEnd = [.. tokenizer.WindowEnd];
        string? prefixText = settings.Role == "query" ? settings.QueryPrefix : settings.PassagePrefix;
        var prefix = new List<int>();
        if (!string.IsNullOrEmpty(prefixText))
            tokenizer.Encode(prefixText, prefix);
        // The prefix belongs to every window, so it sits with the special tokens before the content.
        _windowStart = [.. _windowStart, .. prefix];
        _maxTokens = settings.MaxTokens!.Value;
        _contentTokens = _maxTokens - _windowStart.Length - _windowEnd.Length;
        string settingsFile = Path.Combine(dir, OnnxEmbedderSettings.FileName);
        if (_contentTokens < 1)
            throw new InvalidDataException($"{settingsFile}: max_tokens {_maxTokens} leaves no room for text after {_windowStart.Length + _windowEnd.Length} special and prefix tokens");
        _stride = settings.WindowStride ?? _contentTokens;
        if (_stride < 1 || _stride > _contentTokens)
            throw new InvalidDataException($"{settingsFile}: window_stride {_stride} must be between 1 and the window's {_contentTokens} content tokens");
        _normalizeWindows = settings.Normalize!.Value;
        _pooling = settings.Pooling!;
        _output = settings.Output!;

        var session = pool.First;
        var inputs = session.InputMetadata;
        (string, TensorElementType, int[])? Input(string role) =>
            settings.Inputs!.TryGetValue(role, out string? name) ? (name, inputs[name].ElementDataType, inputs[name].Dimensions) : null;
        var ids = Input(OnnxModelFolder.InputIds)!.Value;
        _ids = (ids.Item1, ids.Item2);
        _mask = Input(OnnxModelFolder.AttentionMask);
        _types = Input(OnnxModelFolder.TokenTypeIds);
        _task = Input(OnnxModelFolder.TaskIdInput);
        _taskId = settings.TaskId ?? 0;
        foreach (var input in new[] { _ids.Type, _mask?.Type, _types?.Type, _task?.Type })
        {
            if (input is not null and not (TensorElementType.Int64 or TensorElementType.Int32))
                throw new InvalidDataException($"{Path.Combine(dir, settings.Model!)}: an id input has element type {input}; int64 or int32 expected");
        }
        var outputMeta = session.OutputMetadata[_output];
        if (outputMeta.ElementDataType != TensorElementType.Float)
            throw new InvalidDataException($"{Path.Combine(dir, settings.Model!)}: output '{_output}' is {outputMeta.ElementDataType}; float32 expected");
        _hidden = outputMeta.Dimensions[^1] > 0 ? outputMeta.Dimensions[^1] : ProbeHiddenSize();
        Dimension = settings.Dimension ?? _hidden;
        if (Dimension < 1 || Dimension > _hidden)
            throw new InvalidDataException($"{settingsFile}: dimension {Dimension} must be between 1 and the model's {_hidden}");
        Settings = settings with { Dimension = Dimension };
        ModelKey = Fingerprint(dir, Settings);
    }

    public string Spec { get; }

    public int Dimension { get; }

    /// <summary>The resolved settings, every inferred value filled in.</summary>
    public OnnxEmbedderSettings Settings { get; }

    /// <summary>XxHash128 of the graph, the tokenizer file and the resolved settings: what the vectors depend on.</summary>
    public UInt128 ModelKey { get; }

    /// <summary>Opens the model folder <paramref name="dir"/>; <paramref name="spec"/> is what <see cref="Spec"/> reports.</summary>
    public static OnnxEmbedder Open(string dir, OnnxEmbedderSettings? overrides = null, OnnxRuntimeOptions? runtime = null, string? spec = null)
    {
        dir = Path.GetFullPath(dir);
        var declared = OnnxModelFolder.Declared(dir, overrides ?? new OnnxEmbedderSettings());
        string modelPath = OnnxModelFolder.ModelPath(dir, declared);
        runtime = (runtime ?? new OnnxRuntimeOptions()).Resolve(WeightBytes(modelPath));
        var pool = new OnnxSessionPool(modelPath, runtime);
        try
        {
            var settings = OnnxModelFolder.Resolve(dir, declared, modelPath, pool.First.InputMetadata, pool.First.OutputMetadata);
            var tokenizer = OnnxModelFolder.CreateTokenizer(dir, settings);
            return new OnnxEmbedder(spec ?? "onnx:" + dir, dir, settings, tokenizer, pool, runtime);
        }
        catch
        {
            pool.Dispose();
            throw;
        }
    }

    /// <summary>The content token ids the model sees for <paramref name="text"/>, without special tokens or prefix.</summary>
    internal List<int> Tokenize(string text)
    {
        var ids = new List<int>();
        _tokenizer.Encode(text, ids);
        return ids;
    }

    public void Embed(IReadOnlyList<string> texts, Span<float> destination) => Embed(texts, destination, CancellationToken.None);

    /// <summary>
    /// Checks <paramref name="ct"/> between texts while tokenizing and between batches of windows; a batch already
    /// running is stopped by ONNX Runtime's terminate flag (<see cref="RunOptions.Terminate"/>), so a cancelled call
    /// returns within one kernel rather than one batch.
    /// </summary>
    public void Embed(IReadOnlyList<string> texts, Span<float> destination, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(texts);
        int d = Dimension;
        if (destination.Length < (long)texts.Count * d)
            throw new ArgumentException($"Destination holds {destination.Length} floats; {texts.Count} texts need {(long)texts.Count * d}.", nameof(destination));

        var ids = new List<int>();
        var windows = new List<Window>();
        for (int t = 0; t < texts.Count; t++)
        {
            if (t % 256 == 0) ct.ThrowIfCancellationRequested();
            int first = ids.Count;
            _tokenizer.Encode(texts[t], ids);
            int count = ids.Count - first;
            for (int s = 0; s < count; s += _stride)
            {
                int length = Math.Min(_contentTokens, count - s);
                windows.Add(new Window(t, first + s, length, Bucket(length)));
                if (s + length >= count)
                    break;
            }
        }

        float[] sums = ArrayPool<float>.Shared.Rent(texts.Count * d);
        // A run's options are its own when it can be cancelled: a terminated RunOptions cannot run again.
        using var runOptions = ct.CanBeCanceled ? new RunOptions() : null;
        using var terminate = runOptions is null ? default : ct.Register(static o => ((RunOptions)o!).Terminate = true, runOptions);
        try
        {
            Array.Clear(sums, 0, texts.Count * d);
            windows.Sort(static (a, b) => a.Padded != b.Padded ? b.Padded.CompareTo(a.Padded) : a.Offset.CompareTo(b.Offset));
            var idSpan = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids);
            for (int at = 0; at < windows.Count;)
            {
                int end = at + 1;
                while (end < windows.Count && end - at < _batchWindows && windows[end].Padded == windows[at].Padded)
                    end++;
                ct.ThrowIfCancellationRequested();
                try
                {
                    RunBatch(windows, at, end, idSpan, sums, runOptions ?? Run);
                }
                catch (OnnxRuntimeException) when (ct.IsCancellationRequested)
                {
                    throw new OperationCanceledException("the ONNX run was terminated", ct);
                }
                at = end;
            }
            for (int t = 0; t < texts.Count; t++)
            {
                var sum = sums.AsSpan(t * d, d);
                var row = destination.Slice(t * d, d);
                float norm = TensorPrimitives.Norm(sum);
                if (norm > 0)
                    TensorPrimitives.Divide(sum, norm, row);
                else
                    row.Clear();
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(sums);
        }
    }

    public void Dispose() => _pool.Dispose();

    private int Bucket(int contentLength)
    {
        int tokens = _windowStart.Length + contentLength + _windowEnd.Length;
        return Math.Min(_maxTokens, (tokens + LengthBucket - 1) / LengthBucket * LengthBucket);
    }

    private void RunBatch(List<Window> windows, int from, int to, ReadOnlySpan<int> ids, float[] sums, RunOptions runOptions)
    {
        int rows = to - from, width = windows[from].Padded;
        int cells = rows * width;
        long[] inputIds = ArrayPool<long>.Shared.Rent(cells);
        long[] mask = ArrayPool<long>.Shared.Rent(cells);
        long[] zeros = ArrayPool<long>.Shared.Rent(cells);
        float[] pooled = ArrayPool<float>.Shared.Rent(_hidden);
        try
        {
            Array.Fill(inputIds, _tokenizer.PadId, 0, cells);
            Array.Clear(mask, 0, cells);
            Array.Clear(zeros, 0, cells);
            for (int r = 0; r < rows; r++)
            {
                var w = windows[from + r];
                var rowIds = inputIds.AsSpan(r * width, width);
                int k = 0;
                foreach (int id in _windowStart) rowIds[k++] = id;
                foreach (int id in ids.Slice(w.Offset, w.Length)) rowIds[k++] = id;
                foreach (int id in _windowEnd) rowIds[k++] = id;
                mask.AsSpan(r * width, k).Fill(1);
            }

            long[] shape = [rows, width];
            var names = new List<string>(4);
            var values = new List<OrtValue>(4);
            var session = _pool.Rent();
            try
            {
                names.Add(_ids.Name);
                values.Add(IdTensor(inputIds, cells, shape, _ids.Type));
                if (_mask is { } m)
                {
                    names.Add(m.Name);
                    values.Add(IdTensor(mask, cells, shape, m.Type));
                }
                if (_types is { } ty)
                {
                    names.Add(ty.Name);
                    values.Add(IdTensor(zeros, cells, shape, ty.Type));
                }
                if (_task is { } task)
                {
                    names.Add(task.Name);
                    long[] taskShape = task.Dims.Length == 0 ? [] : [1];
                    values.Add(task.Type == TensorElementType.Int64
                        ? OrtValue.CreateTensorValueFromMemory(new[] { _taskId }, taskShape)
                        : OrtValue.CreateTensorValueFromMemory(new[] { (int)_taskId }, taskShape));
                }
                using var outputs = session.Run(runOptions, names, values, [_output]);
                var output = outputs[0];
                var data = output.GetTensorDataAsSpan<float>();
                long[] outShape = output.GetTensorTypeAndShape().Shape;
                for (int r = 0; r < rows; r++)
                {
                    var w = windows[from + r];
                    int tokens = _windowStart.Length + w.Length + _windowEnd.Length;
                    var vector = pooled.AsSpan(0, _hidden);
                    Pool(data, outShape, r, tokens, vector);
                    var kept = vector[..Dimension];
                    if (_normalizeWindows)
                    {
                        float norm = TensorPrimitives.Norm(kept);
                        if (norm > 0)
                            TensorPrimitives.Divide(kept, norm, kept);
                    }
                    var sum = sums.AsSpan(w.Text * Dimension, Dimension);
                    TensorPrimitives.MultiplyAdd(kept, w.Length, sum, sum);
                }
            }
            finally
            {
                _pool.Return(session);
                foreach (var v in values)
                    v.Dispose();
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(inputIds);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(zeros);
            ArrayPool<float>.Shared.Return(pooled);
        }
    }

    private void Pool(ReadOnlySpan<float> data, long[] shape, int row, int tokens, Span<float> vector)
    {
        if (shape[^1] != _hidden)
            throw new InvalidDataException($"output '{_output}' has {shape[^1]} values per vector; the graph declared {_hidden}");
        if (_pooling == "none")
        {
            data.Slice(row * _hidden, _hidden).CopyTo(vector);
            return;
        }
        int width = (int)shape[1];
        var rowData = data.Slice(row * width * _hidden, width * _hidden);
        if (_pooling == "cls")
        {
            rowData[.._hidden].CopyTo(vector);
            return;
        }
        vector.Clear();
        for (int t = 0; t < tokens; t++)
            TensorPrimitives.Add(vector, rowData.Slice(t * _hidden, _hidden), vector);
        TensorPrimitives.Divide(vector, tokens, vector);
    }

    private static OrtValue IdTensor(long[] values, int count, long[] shape, TensorElementType type)
    {
        if (type == TensorElementType.Int64)
            return OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, values.AsMemory(0, count), shape);
        var narrow = new int[count];
        for (int i = 0; i < count; i++)
            narrow[i] = (int)values[i];
        return OrtValue.CreateTensorValueFromMemory(narrow, shape);
    }

    private int ProbeHiddenSize()
    {
        var session = _pool.First;
        int width = _windowStart.Length + 1 + _windowEnd.Length;
        long[] ids = [.. _windowStart.Select(i => (long)i), _tokenizer.PadId, .. _windowEnd.Select(i => (long)i)];
        long[] ones = Enumerable.Repeat(1L, width).ToArray();
        long[] shape = [1, width];
        var names = new List<string> { _ids.Name };
        var values = new List<OrtValue> { IdTensor(ids, width, shape, _ids.Type) };
        if (_mask is { } m) { names.Add(m.Name); values.Add(IdTensor(ones, width, shape, m.Type)); }
        if (_types is { } ty) { names.Add(ty.Name); values.Add(IdTensor(new long[width], width, shape, ty.Type)); }
        if (_task is { } task) { names.Add(task.Name); values.Add(OrtValue.CreateTensorValueFromMemory(new[] { _taskId }, task.Dims.Length == 0 ? [] : [1L])); }
        try
        {
            using var outputs = session.Run(Run, names, values, [_output]);
            return (int)outputs[0].GetTensorTypeAndShape().Shape[^1];
        }
        finally
        {
            foreach (var v in values)
                v.Dispose();
        }
    }

    private static IEnumerable<string> ExternalWeights(string modelDir)
        => Directory.GetFiles(modelDir, "*.onnx_data").Concat(Directory.GetFiles(modelDir, "*.onnx.data")).Order(StringComparer.Ordinal);

    private static long WeightBytes(string modelPath)
        => new FileInfo(modelPath).Length + ExternalWeights(Path.GetDirectoryName(modelPath)!).Sum(f => new FileInfo(f).Length);

    private static UInt128 Fingerprint(string dir, OnnxEmbedderSettings settings)
    {
        var hash = new XxHash128();
        foreach (string file in new[] { settings.Model!, settings.Tokenizer! })
        {
            using var stream = File.OpenRead(Path.Combine(dir, file));
            hash.Append(stream);
        }
        // External weights (model.onnx_data…) can be gigabytes: their names and sizes stand for them.
        string modelDir = Path.GetDirectoryName(Path.Combine(dir, settings.Model!))!;
        foreach (string data in ExternalWeights(modelDir))
            hash.Append(Encoding.UTF8.GetBytes($"{Path.GetFileName(data)}:{new FileInfo(data).Length}\n"));
        hash.Append(Encoding.UTF8.GetBytes(settings.ToJson()));
        return hash.GetCurrentHashAsUInt128();
    }

    private readonly record struct Window(int Text, int Offset, int Length, int Padded);
}
