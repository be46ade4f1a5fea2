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

    /// <summary>The sequences forecast for the next checkpoint (<see cref="Expect"/>), told to their domain's writer at the first; -1 for none.</summary>
    private int _forecast = -1;

    /// <param name="datasetDir">The dataset folder; the MDS domains go into its <see cref="Folder"/> subfolder.</param>
    /// <param name="options">Shard size limit, compression and hashes.</param>
    /// <param name="resume">A <see cref="Checkpoint"/>'s state: continue that dataset.</param>
    public ProLongMdsWriter(string datasetDir, MdsWriterOptions options, string? resume = null) =>
        _domains = new MdsDomainWriter(Path.Combine(datasetDir, Folder), ProLongLayout.Columns, options, resume);

    public void Write(ReadOnlySpan<int> inputIds, ReadOnlySpan<TokenRange> documents, string domain)
    {
        var writer = _domains.For(domain);
        if (_forecast >= 0)
        {
            writer.Expect(_forecast);
            _forecast = -1;
        }
        ProLongLayout.Write(writer, inputIds, documents, domain);
    }

    /// <summary>
    /// The samples are all the same size (T ids and the same domain), so with the count known a shard goes to its file
    /// as it fills (<see cref="MdsWriter.Expect"/>) instead of being written after the last document.
    /// </summary>
    public void Expect(int sequences)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequences);
        _forecast = sequences;
    }

    public WriterCheckpoint Checkpoint()
    {
        _forecast = -1;
        var c = _domains.Checkpoint();
        return c with { Files = [.. c.Files.Select(f => Folder + "/" + f)] };
    }

    public IReadOnlyList<string> Complete() => [.. _domains.Complete().Select(f => Folder + "/" + f)];

    public void Dispose() => _domains.Dispose();
}
