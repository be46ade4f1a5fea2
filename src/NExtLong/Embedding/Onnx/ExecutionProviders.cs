using Microsoft.ML.OnnxRuntime;

namespace NExtLong.Embedding.Onnx;

/// <summary>
/// Adds the execution provider a user names to ONNX Runtime session options. The default build of nextlong references
/// the CPU build of ONNX Runtime, which has only the CPU provider; the GPU build (<c>-p:OnnxRuntime=Gpu</c>,
/// <c>./nextlong --gpu</c>) references Microsoft.ML.OnnxRuntime.Gpu.Linux for CUDA and TensorRT. A provider missing
/// from the build, or one whose libraries or device are missing at run time, is refused in one line.
/// </summary>
internal static class ExecutionProviders
{
    /// <summary>Provider names accepted by <see cref="Append"/>, with ONNX Runtime's name and the package that has it.</summary>
    public static readonly IReadOnlyDictionary<string, (string OrtName, string Package)> Known = new Dictionary<string, (string, string)>
    {
        ["cpu"] = ("CPUExecutionProvider", "Microsoft.ML.OnnxRuntime"),
        ["cuda"] = ("CUDAExecutionProvider", "Microsoft.ML.OnnxRuntime.Gpu.Linux (build with -p:OnnxRuntime=Gpu, or run ./nextlong --gpu)"),
        ["tensorrt"] = ("TensorrtExecutionProvider", "Microsoft.ML.OnnxRuntime.Gpu.Linux (build with -p:OnnxRuntime=Gpu, or run ./nextlong --gpu)"),
        ["directml"] = ("DmlExecutionProvider", "Microsoft.ML.OnnxRuntime.DirectML"),
        ["rocm"] = ("ROCMExecutionProvider", "a ROCm build of ONNX Runtime"),
        ["coreml"] = ("CoreMLExecutionProvider", "Microsoft.ML.OnnxRuntime (macOS/iOS)"),
        ["openvino"] = ("OpenVINOExecutionProvider", "Intel.ML.OnnxRuntime.OpenVino"),
    };

    // What Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31's CUDA provider loads (readelf -d, and cuDNN, which it opens
    // itself): the NVIDIA driver, CUDA 13 and cuDNN 9; its TensorRT provider also TensorRT 10. Checked first, so a
    // missing one is named.
    private static readonly string[] CudaLibraries = ["libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"];
    private static readonly string[] TensorRtLibraries = ["libnvinfer.so.10", "libnvonnxparser.so.10"];

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
        if (IsGpu(name))
        {
            // ONNX Runtime would log a multi-line error of its own before failing; ours names the library instead.
            OrtEnv.Instance().EnvLogLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
            foreach (string library in name == "tensorrt" ? CudaLibraries.Concat(TensorRtLibraries) : CudaLibraries)
            {
                if (System.Runtime.InteropServices.NativeLibrary.TryLoad(library, out var handle))
                    System.Runtime.InteropServices.NativeLibrary.Free(handle);
                else
                    throw Unavailable(name, device, new DllNotFoundException($"{library} cannot be loaded{(library == "libcuda.so.1" ? " (no NVIDIA driver: is there a GPU?)" : "")}"));
            }
        }
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
            throw IsGpu(name) ? Unavailable(name, device, e) : new NotSupportedException($"Execution provider '{name}' could not be started on device {device}: {FirstLine(e.Message)}", e);
        }
    }

    /// <summary>CUDA and TensorRT: the providers that need NVIDIA's libraries and a GPU at run time.</summary>
    public static bool IsGpu(string provider) => provider.ToLowerInvariant() is "cuda" or "tensorrt";

    /// <summary>Whether a session failed for want of a GPU or its libraries rather than because of the model.</summary>
    public static bool IsDeviceFailure(OnnxRuntimeException e)
        => e.Message.Contains("CUDA", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("cudnn", StringComparison.OrdinalIgnoreCase)
           || e.Message.Contains("LoadLibrary", StringComparison.Ordinal) || e.Message.Contains("TensorRT", StringComparison.OrdinalIgnoreCase);

    /// <summary>One line naming what a GPU provider needs (docs/EMBEDDERS.md, "GPU") and what ONNX Runtime said.</summary>
    public static NotSupportedException Unavailable(string provider, int device, Exception e) => new(
        $"Execution provider '{provider.ToLowerInvariant()}' could not be started on device {device}: {FirstLine(e.Message)}; it needs an NVIDIA GPU and driver, "
        + $"CUDA 13 (cudart, cuBLAS, cuRAND) and cuDNN 9 libraries on the loader path (LD_LIBRARY_PATH){(provider.Equals("tensorrt", StringComparison.OrdinalIgnoreCase) ? " and TensorRT 10" : "")} "
        + "(docs/EMBEDDERS.md, GPU)", e);

    private static string FirstLine(string message) => message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? message;
}
