using Microsoft.ML.OnnxRuntime;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// Adds the execution provider a user names to ONNX Runtime session options. The CPU build of ONNX Runtime that
/// nextlong references has only the CPU provider; the GPU ones need the matching package (Microsoft.ML.OnnxRuntime.Gpu
/// for CUDA and TensorRT, Microsoft.ML.OnnxRuntime.DirectML, …) in its place, and are refused clearly otherwise.
/// </summary>
internal static class ExecutionProviders
{
    /// <summary>Provider names accepted by <see cref="Append"/>, with ONNX Runtime's name and the package that has it.</summary>
    public static readonly IReadOnlyDictionary<string, (string OrtName, string Package)> Known = new Dictionary<string, (string, string)>
    {
        ["cpu"] = ("CPUExecutionProvider", "Microsoft.ML.OnnxRuntime"),
        ["cuda"] = ("CUDAExecutionProvider", "Microsoft.ML.OnnxRuntime.Gpu"),
        ["tensorrt"] = ("TensorrtExecutionProvider", "Microsoft.ML.OnnxRuntime.Gpu"),
        ["directml"] = ("DmlExecutionProvider", "Microsoft.ML.OnnxRuntime.DirectML"),
        ["rocm"] = ("ROCMExecutionProvider", "a ROCm build of ONNX Runtime"),
        ["coreml"] = ("CoreMLExecutionProvider", "Microsoft.ML.OnnxRuntime (macOS/iOS)"),
        ["openvino"] = ("OpenVINOExecutionProvider", "Intel.ML.OnnxRuntime.OpenVino"),
    };

    public static void Append(SessionOptions options, string provider, int device)
    {
        string name = provider.ToLowerInvariant();
        if (!Known.TryGetValue(name, out var known))
            throw new ArgumentException($"Unknown execution provider '{provider}'; known: {string.Join(", ", Known.Keys)}.");
        var available = OrtEnv.Instance().GetAvailableProviders();
        if (!available.Contains(known.OrtName))
            throw new NotSupportedException(
                $"Execution provider '{name}' ({known.OrtName}) is not in this ONNX Runtime build, which has {string.Join(", ", available)}; "
                + $"build nextlong with {known.Package} in place of Microsoft.ML.OnnxRuntime (docs/EMBEDDERS.md).");
        try
        {
            switch (name)
            {
                case "cpu":
                    break;
                case "cuda":
                    options.AppendExecutionProvider_CUDA(device);
                    break;
                case "tensorrt":
                    // TensorRT hands the nodes it cannot run to CUDA.
                    options.AppendExecutionProvider_Tensorrt(device);
                    options.AppendExecutionProvider_CUDA(device);
                    break;
                case "directml":
                    options.AppendExecutionProvider_DML(device);
                    break;
                case "rocm":
                    options.AppendExecutionProvider_ROCm(device);
                    break;
                case "coreml":
                    options.AppendExecutionProvider_CoreML();
                    break;
                case "openvino":
                    options.AppendExecutionProvider_OpenVINO();
                    break;
            }
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            throw new NotSupportedException($"Execution provider '{name}' could not be started on device {device}: {e.Message}", e);
        }
    }
}
