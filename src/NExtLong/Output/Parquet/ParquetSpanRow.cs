namespace NExtLong.Output.Parquet;

/// <summary>One element of a Parquet row's <c>spans</c> list (see <see cref="Synthesis.DocumentSpan"/>).</summary>
internal sealed class ParquetSpanRow
{
    public string Role { get; set; } = "";
    public int MetaChunk { get; set; }
    public long ChunkId { get; set; }
    public string Document { get; set; } = "";
    public string Source { get; set; } = "";
    public int Rank { get; set; }
    public double? Similarity { get; set; }
    public double? Cosine { get; set; }
    public int CharStart { get; set; }
    public int CharEnd { get; set; }
    public int TokenStart { get; set; }
    public int TokenEnd { get; set; }
    public bool Truncated { get; set; }
}
