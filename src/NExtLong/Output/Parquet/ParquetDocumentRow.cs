namespace NExtLong.Output.Parquet;

/// <summary>One row of the Parquet format: the fields of a JSON lines record, nested the same way.</summary>
internal sealed class ParquetDocumentRow
{
    public string Id { get; set; } = "";
    public string Text { get; set; } = "";
    public int NumTokens { get; set; }
    public ParquetMetaDocument MetaDocument { get; set; } = new();
    public int K { get; set; }
    public int Attempts { get; set; }
    public int NearDuplicatesSkipped { get; set; }
    public ParquetFalseNegatives FalseNegativesSkipped { get; set; } = new();
    public List<ParquetSpanRow> Spans { get; set; } = [];
}
