namespace NExtLong.Tests;

/// <summary>
/// The library's public surface is what a library user calls — stages and their options, the executor, the synthesis
/// types, readers, writers by interface, the index interface and factory, tokenizers, inspection and report — and
/// nothing else. A type made public by accident fails here; one made public on purpose is added to the list.
/// </summary>
public class PublicApiTests
{
    private static readonly string ListFile = SampleCorpus.DataFile("public-types.txt");

    [Fact]
    public void Only_the_listed_types_are_public()
    {
        var actual = typeof(NExtLong.Pipeline.IndexStage).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToList();
        var expected = File.ReadAllLines(ListFile).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Equal(expected, actual);
    }
}
