namespace NExtLong.Tests;

/// <summary>The example program (samples/LibraryUsage) builds against the public API alone and synthesizes from in-memory documents.</summary>
public class LibraryUsageTests
{
    [Fact]
    public void The_library_example_synthesizes_from_in_memory_documents()
    {
        string work = TempDir.Create();
        var (code, stdout, stderr) = CliProcess.RunDll(Path.Combine(AppContext.BaseDirectory, "LibraryUsage.dll"), TimeSpan.FromMinutes(3),
            SampleIndexFixture.SamplePath, work);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("memo-1: 2048 tokens", stdout);
        Assert.Contains("memo-2: 2048 tokens", stdout);
    }
}
