namespace NExtLong.Embedding.Onnx;

/// <summary>
/// How an ONNX embedder runs, as opposed to what it computes: none of these change the vectors beyond floating-point
/// rounding, so none is part of the embedder's spec.
/// </summary>
public sealed record OnnxRuntimeOptions
{
    /// <summary>Execution provider: cpu, cuda, tensorrt, directml, rocm, coreml or openvino (<see cref="ExecutionProviders"/>).</summary>
    public string Provider { get; init; } = "cpu";

    /// <summary>GPU ordinal for GPU providers.</summary>
    public int Device { get; init; }

    /// <summary>
    /// Inference sessions that run at the same time. On CPU one session per core, each with one intra-op thread, was
    /// faster here than fewer sessions with more threads (docs/EMBEDDERS.md); on a GPU one session is enough.
    /// </summary>
    public int Sessions { get; init; } = Environment.ProcessorCount;

    /// <summary>Intra-op threads per session.</summary>
    public int Threads { get; init; } = 1;

    /// <summary>Windows per inference call; windows of similar length are batched together so padding stays small.</summary>
    public int BatchWindows { get; init; } = 8;
}
