using NExtLong.Output.Mds;

namespace NExtLong.Output;

/// <summary>
/// The "mds" format: tokenized sequences in ProLong's columns (<see cref="ProLongLayout"/>), one MDS subfolder
/// per domain (the meta-document's corpus source) under <c>mds/</c>, with a merged <c>mds/index.json</c>.
/// </summary>
internal sealed class ProLongMdsWriter : ITokenSequenceWriter
{
    public const string Folder = "mds";

    private readonly MdsDomainWriter _domains;

    /// <param name="datasetDir">The dataset folder; the MDS domains go into its <see cref="Folder"/> subfolder.</param>
    /// <param name="options">Shard size limit, compression and hashes.</param>
    /// <param name="resume">A <see cref="Checkpoint"/>'s state: continue that dataset.</param>
    public ProLongMdsWriter(string datasetDir, MdsWriterOptions options, string? resume = null) =>
        _domains = new MdsDomainWriter(Path.Combine(datasetDir, Folder), ProLongLayout.Columns, options, resume);

    public void Write(ReadOnlySpan<int> inputIds, ReadOnlySpan<TokenRange> documents, string domain) =>
        ProLongLayout.Write(_domains.For(domain), inputIds, documents, domain);

    public WriterCheckpoint Checkpoint()
    {
        var c = _domains.Checkpoint();
        return c with { Files = [.. c.Files.Select(f => Folder + "/" + f)] };
    }

    public IReadOnlyList<string> Complete() => [.. _domains.Complete().Select(f => Folder + "/" + f)];

    public void Dispose() => _domains.Dispose();
}
