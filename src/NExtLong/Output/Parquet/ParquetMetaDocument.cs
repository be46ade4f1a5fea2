namespace NExtLong.Output.Parquet;

/// <summary>The <c>meta_document</c> struct of a Parquet row.</summary>
internal sealed class ParquetMetaDocument
{
    public string Id { get; set; } = "";
    public string Source { get; set; } = "";
    public int Chars { get; set; }
    public int MetaChunks { get; set; }
}
