using System.Diagnostics;
using System.Text.Json;

namespace NExtLong.Tests;

/// <summary>
/// Runs the original Universal Sentence Encoder Lite in node (tools/use-lite/reference-embed.mjs over the npm
/// packages tools/use-lite/setup.sh installs) and returns its token ids and vectors.
/// </summary>
internal static class UseLiteReference
{
    private static string Modules => Path.Combine(SampleCorpus.Root, ".cache", "use-lite", "reference");

    /// <summary>Skips the calling test when node or the reference packages are missing, except on CI, where it fails.</summary>
    public static void RequireInstalled()
    {
        bool installed = Directory.Exists(Path.Combine(Modules, "node_modules", "@energetic-ai", "embeddings")) && FindNode() is not null;
        if (installed)
            return;
        const string message = "The USE-lite reference is not installed: run tools/use-lite/setup.sh (needs node and npm).";
        TestRequirements.Missing(message);
    }

    public static (int[][] Ids, float[][] Vectors) Embed(IReadOnlyList<string> texts)
    {
        var start = new ProcessStartInfo(FindNode()!, [Path.Combine(SampleCorpus.Root, "tools", "use-lite", "reference-embed.mjs"), "--modules", Modules])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(JsonSerializer.Serialize(texts));
        process.StandardInput.Close();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"reference-embed.mjs exited with {process.ExitCode}: {stderr.Result}");
        using var document = JsonDocument.Parse(stdout);
        var ids = document.RootElement.GetProperty("ids").EnumerateArray().Select(a => a.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        var vectors = document.RootElement.GetProperty("vectors").EnumerateArray().Select(a => a.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray()).ToArray();
        return (ids, vectors);
    }

    private static string? FindNode()
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "node"))
            .FirstOrDefault(File.Exists);
}
