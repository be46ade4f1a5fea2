using NExtLong.Inspection;

namespace NExtLong.Tests;

/// <summary>
/// `nextlong verify` on what the tests write: the readers the tests use (<see cref="DatasetReader"/>, the spec MDS and
/// Megatron readers, <see cref="SplitSample.AssertSameTree"/>) verify a complete output before reading it, so every
/// dataset the suite checks also passes every checksum, id-range, length and span check verify knows.
/// </summary>
internal static class Verified
{
    /// <summary>Verifies <paramref name="path"/> when it holds a complete output (a dataset with stats.json, or an MDS/Megatron dataset).</summary>
    public static void IfComplete(string path)
    {
        bool dataset = Directory.Exists(path) && File.Exists(Path.Combine(path, "stats.json"));
        bool mds = Directory.Exists(path) && File.Exists(Path.Combine(path, "index.json"));
        bool megatron = File.Exists(path + ".idx") && File.Exists(path + ".bin");
        if (!dataset && !mds && !megatron) return;
        var result = DatasetVerifier.Verify(path, new VerifyOptions());
        Assert.True(result.Ok, $"nextlong verify {path}: {result.Summary}");
    }
}
