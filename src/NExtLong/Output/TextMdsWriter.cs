using System.Buffers;
using NExtLong.Output.Mds;
using NExtLong.Synthesis;

namespace NExtLong.Output;

/// <summary>
/// The "mds-text" format: untokenized documents like the released NExtLong datasets — <c>text</c> str — with
/// <c>id</c> str, <c>domain</c> str and <c>provenance</c> json (<see cref="ProvenanceJson"/>), one MDS subfolder per
/// domain under <c>mds-text/</c> and a merged <c>mds-text/index.json</c>.
/// </summary>
/// <remarks>
/// The json column holds what mosaicml-streaming's MDSWriter writes for the same dict: <c>json.dumps(obj)</c>, so
/// separators ", " and ": ", non-ASCII escaped, and floats as Python's repr (<see cref="PythonJsonWriter"/>).
/// </remarks>
internal sealed class TextMdsWriter : IDatasetWriter
{
    public const string Folder = "mds-text";

    public static readonly IReadOnlyList<MdsColumn> Columns =
    [
        new("domain", MdsEncoding.Str),
        new("id", MdsEncoding.Str),
        new("provenance", MdsEncoding.Json),
        new("text", MdsEncoding.Str),
    ];

    private readonly MdsDomainWriter _domains;
    private readonly ArrayBufferWriter<byte> _provenance = new(1 << 16);
    private readonly PythonJsonWriter _json = new();

    /// <param name="datasetDir">The dataset folder; the MDS domains go into its <see cref="Folder"/> subfolder.</param>
    /// <param name="options">Shard size limit, compression and hashes.</param>
    /// <param name="resume">A <see cref="Checkpoint"/>'s state: continue that dataset.</param>
    public TextMdsWriter(string datasetDir, MdsWriterOptions options, string? resume = null)
    {
        _domains = new MdsDomainWriter(Path.Combine(datasetDir, Folder), Columns, options, resume);
    }

    public void Write(string id, SynthesizedDocument document)
    {
        _provenance.ResetWrittenCount();
        _json.Clear();
        _json.StartObject();
        ProvenanceJson.WriteProperties(_json, document);
        _json.EndObject();
        _json.CopyTo(_provenance);
        var writer = _domains.For(document.MetaDocumentSource);
        writer.Write(writer.NewSample()
            .String(writer.Column("domain"), document.MetaDocumentSource)
            .String(writer.Column("id"), id)
            .Json(writer.Column("provenance"), _provenance.WrittenSpan)
            .String(writer.Column("text"), document.Text));
    }

    public WriterCheckpoint Checkpoint()
    {
        var c = _domains.Checkpoint();
        return c with { Files = [.. c.Files.Select(f => Folder + "/" + f)] };
    }

    public IReadOnlyList<string> Complete() => [.. _domains.Complete().Select(f => Folder + "/" + f)];

    public void Dispose() => _domains.Dispose();
}
