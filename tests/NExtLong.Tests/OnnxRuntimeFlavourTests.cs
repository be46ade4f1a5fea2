using System.Diagnostics;

namespace NExtLong.Tests;

/// <summary>
/// Both ONNX Runtime flavours build: the CPU one is what the tests run on; -p:OnnxRuntime=Gpu swaps in
/// Microsoft.ML.OnnxRuntime.Gpu.Linux (built here into a temporary folder, so the checkout's builds are untouched).
/// </summary>
[Trait("Tier", "slow")]
public class OnnxRuntimeFlavourTests
{
    [Fact]
    public void The_gpu_flavour_of_the_library_builds_against_the_gpu_package()
    {
        string temp = TempDir.Create();
        string project = Path.Combine(SampleCorpus.Root, "src", "NExtLong", "NExtLong.csproj");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "build", project, "-c", "Release", "--nologo", "-v", "quiet", "-p:OnnxRuntime=Gpu",
                     $"-p:BaseOutputPath={temp}/bin/", $"-p:BaseIntermediateOutputPath={temp}/obj/" })
            info.ArgumentList.Add(a);
        using var build = Process.Start(info)!;
        var output = build.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = build.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.True(build.WaitForExit(TimeSpan.FromMinutes(4)), "the GPU build took more than 4 minutes");
        Assert.True(build.ExitCode == 0, $"dotnet build -p:OnnxRuntime=Gpu failed: {output.Result}{errors.Result}");
        Assert.True(File.Exists(Path.Combine(temp, "bin", "Release", "net10.0", "NExtLong.dll")));
        string assets = File.ReadAllText(Path.Combine(temp, "obj", "project.assets.json"));
        Assert.Contains("\"Microsoft.ML.OnnxRuntime.Gpu.Linux/", assets);
        Assert.DoesNotContain("\"Microsoft.ML.OnnxRuntime/", assets);

        // The CPU flavour, which these tests run on, has no CUDA provider.
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so")));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libonnxruntime.so")));
    }
}
