namespace NExtLong.Embedding.Onnx;

/// <summary>
/// How an ONNX embedder runs, as opposed to what it computes: none of these change the vectors beyond floating-point
/// rounding, so none is part of the embedder's spec.
/// </summary>
internal sealed record OnnxRuntimeOptions
{
    /// <summary>Execution provider: cpu, cuda, tensorrt, directml, rocm, coreml or openvino (<see cref="ExecutionProviders"/>).</summary>
    public string Provider { get; init; } = "cpu";

    /// <summary>GPU ordinal for GPU providers.</summary>
    public int Device { get; init; }

    /// <summary>Inference sessions that run at the same time (default: see <see cref="Resolve"/>).</summary>
    public int? Sessions { get; init; }

    /// <summary>Intra-op threads per session (default: see <see cref="Resolve"/>).</summary>
    public int? Threads { get; init; }

    /// <summary>Windows per inference call; windows of similar length are batched together so padding stays small.</summary>
    public int BatchWindows { get; init; } = 8;

    /// <summary>Models with more weights than this get one session: each session holds its own copy of the weights.</summary>
    public const long LargeModelBytes = 1L << 30;

    /// <summary>
    /// Fills in the defaults. On CPU a small model gets one session per core with one intra-op thread each, which was
    /// faster here than fewer sessions with more threads (docs/EMBEDDERS.md); a large model (jina-v3 is 2.3 GB) gets
    /// one session using every core, so its weights are held once. A GPU gets one session.
    /// </summary>
    public OnnxRuntimeOptions Resolve(long weightBytes)
    {
        bool cpu = Provider.Equals("cpu", StringComparison.OrdinalIgnoreCase);
        bool large = weightBytes > LargeModelBytes;
        return this with
        {
            Sessions = Sessions ?? (cpu && !large ? Environment.ProcessorCount : 1),
            Threads = Threads ?? (cpu && large ? Environment.ProcessorCount : 1),
        };
    }
}
