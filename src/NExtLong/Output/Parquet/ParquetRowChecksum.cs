using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace NExtLong.Output.Parquet;

/// <summary>
/// An XXH3 of every field of a Parquet row, which the writer records per row in the file's footer (key-value
/// metadata <see cref="MetadataKey"/>) and `verify` recomputes from the decoded row. Parquet's own page CRC is
/// optional and Parquet.Net writes none, and a damaged snappy literal decodes to other text without an error, so
/// without this a flipped byte in a text page would pass.
/// </summary>
internal sealed class ParquetRowChecksum
{
    /// <summary>The footer key: the rows' checksums in row order, 16 hex digits each, comma-separated.</summary>
    public const string MetadataKey = "nextlong.row_xxh3.v2";

    /// <summary>
    /// The key of earlier versions, whose checksums left out each span's <c>cosine</c>; `verify` still checks them
    /// in files that have no <see cref="MetadataKey"/>.
    /// </summary>
    public const string WithoutCosineMetadataKey = "nextlong.row_xxh3";

    private readonly XxHash3 _hash = new();
    private readonly byte[] _number = new byte[9];

    /// <summary>
    /// The checksum of <paramref name="row"/>'s fields, in a fixed order, strings length-prefixed; without
    /// <paramref name="cosine"/>, that of <see cref="WithoutCosineMetadataKey"/>.
    /// </summary>
    public string Of(ParquetDocumentRow row, bool cosine = true)
    {
        _hash.Reset();
        String(row.Id);
        String(row.Text);
        Int(row.NumTokens);
        String(row.MetaDocument.Id);
        String(row.MetaDocument.Source);
        Int(row.MetaDocument.Chars);
        Int(row.MetaDocument.MetaChunks);
        Int(row.K);
        Int(row.Attempts);
        Int(row.NearDuplicatesSkipped);
        Int(row.FalseNegativesSkipped.NearDuplicateCosine);
        Int(row.FalseNegativesSkipped.ShingleContainment);
        Int(row.FalseNegativesSkipped.ShingleJaccard);
        Int(row.Spans.Count);
        foreach (var s in row.Spans)
        {
            String(s.Role);
            Int(s.MetaChunk);
            Long(s.ChunkId);
            String(s.Document);
            String(s.Source);
            Int(s.Rank);
            Double(s.Similarity);
            if (cosine)
                Double(s.Cosine);
            Int(s.CharStart);
            Int(s.CharEnd);
            Int(s.TokenStart);
            Int(s.TokenEnd);
            Int(s.Truncated ? 1 : 0);
        }
        return _hash.GetCurrentHashAsUInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }

    private void Int(int value) => Long(value);

    // A missing value (null) and 0 differ: a ninth byte says which.
    private void Double(double? value)
    {
        _number[8] = value is null ? (byte)0 : (byte)1;
        BinaryPrimitives.WriteDoubleLittleEndian(_number, value ?? 0);
        _hash.Append(_number);
    }

    private void Long(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_number, value);
        _hash.Append(_number.AsSpan(0, 8));
    }

    private void String(string? value)
    {
        // Null (a missing value) and "" differ: -1 is no length.
        if (value is null)
        {
            Long(-1);
            return;
        }
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int n = Encoding.UTF8.GetBytes(value, buffer);
            Long(n);
            _hash.Append(buffer.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
