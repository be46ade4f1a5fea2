using System.Text.Json.Serialization;
using NExtLong.Inspection;
using NExtLong.Output.Parquet;
using Parquet;
using Parquet.Serialization;

namespace NExtLong.Tests.Formats;

/// <summary>
/// The "parquet" format is written and read through the column API with hand-made levels. Its files must stay what
/// Parquet.Net's class serializer (the reference, and what earlier versions wrote) makes of the same rows, byte for
/// byte, with appended row groups too; and reading them back must give every field of every row, spans included.
/// </summary>
public sealed class ParquetDocumentLayoutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class ClassRow
    {
        [JsonPropertyName("id")] public string Id { get; set; } = "";
        [JsonPropertyName("text")] public string Text { get; set; } = "";
        [JsonPropertyName("num_tokens")] public int NumTokens { get; set; }
        [JsonPropertyName("meta_document")] public ClassMeta MetaDocument { get; set; } = new();
        [JsonPropertyName("k")] public int K { get; set; }
        [JsonPropertyName("attempts")] public int Attempts { get; set; }
        [JsonPropertyName("near_duplicates_skipped")] public int NearDuplicatesSkipped { get; set; }
        [JsonPropertyName("false_negatives_skipped")] public ClassSkipped FalseNegativesSkipped { get; set; } = new();
        [JsonPropertyName("spans")] public List<ClassSpan> Spans { get; set; } = [];
    }

    private sealed class ClassMeta
    {
        [JsonPropertyName("id")] public string Id { get; set; } = "";
        [JsonPropertyName("source")] public string Source { get; set; } = "";
        [JsonPropertyName("chars")] public int Chars { get; set; }
        [JsonPropertyName("meta_chunks")] public int MetaChunks { get; set; }
    }

    private sealed class ClassSkipped
    {
        [JsonPropertyName("near_duplicate_cosine")] public int NearDuplicateCosine { get; set; }
        [JsonPropertyName("shingle_containment")] public int ShingleContainment { get; set; }
        [JsonPropertyName("shingle_jaccard")] public int ShingleJaccard { get; set; }
    }

    private sealed class ClassSpan
    {
        [JsonPropertyName("role")] public string Role { get; set; } = "";
        [JsonPropertyName("meta_chunk")] public int MetaChunk { get; set; }
        [JsonPropertyName("chunk_id")] public long ChunkId { get; set; }
        [JsonPropertyName("document")] public string Document { get; set; } = "";
        [JsonPropertyName("source")] public string Source { get; set; } = "";
        [JsonPropertyName("rank")] public int Rank { get; set; }
        [JsonPropertyName("similarity")] public double? Similarity { get; set; }
        [JsonPropertyName("cosine")] public double? Cosine { get; set; }
        [JsonPropertyName("char_start")] public int CharStart { get; set; }
        [JsonPropertyName("char_end")] public int CharEnd { get; set; }
        [JsonPropertyName("token_start")] public int TokenStart { get; set; }
        [JsonPropertyName("token_end")] public int TokenEnd { get; set; }
        [JsonPropertyName("truncated")] public bool Truncated { get; set; }
    }

    // Rows with spans and without, null and present similarities and cosines, non-ASCII text, extreme numbers.
    private static List<ParquetDocumentRow> Rows(int first, int count)
    {
        var rows = new List<ParquetDocumentRow>();
        for (int i = first; i < first + count; i++)
        {
            var row = new ParquetDocumentRow
            {
                Id = $"doc-{i}",
                Text = $"Text {i}: café 😀 長文 " + new string('x', i * 37 % 500),
                NumTokens = 100 + i,
                MetaDocument = new ParquetMetaDocument { Id = $"meta-{i}", Source = i % 2 == 0 ? "web" : "books", Chars = 1000 * i, MetaChunks = i % 5 },
                K = i % 7,
                Attempts = 1 + i % 3,
                NearDuplicatesSkipped = i % 4,
                FalseNegativesSkipped = new ParquetFalseNegatives { NearDuplicateCosine = i, ShingleContainment = 2 * i, ShingleJaccard = int.MaxValue - i },
            };
            for (int j = 0; j < i % 5; j++)
            {
                row.Spans.Add(new ParquetSpanRow
                {
                    Role = j == 0 ? "meta" : "negative",
                    MetaChunk = j / 2,
                    ChunkId = long.MaxValue - i * 100 - j,
                    Document = $"d{i}.{j}",
                    Source = "web",
                    Rank = j,
                    Similarity = j % 3 == 0 ? null : 0.5 + j / 100.0,
                    Cosine = j % 2 == 0 ? null : -0.25 * j,
                    CharStart = j * 10,
                    CharEnd = j * 10 + 10,
                    TokenStart = j * 3,
                    TokenEnd = j * 3 + 3,
                    Truncated = j == 3,
                });
            }
            rows.Add(row);
        }
        return rows;
    }

    private static ClassRow ToClass(ParquetDocumentRow r) => new()
    {
        Id = r.Id, Text = r.Text, NumTokens = r.NumTokens,
        MetaDocument = new() { Id = r.MetaDocument.Id, Source = r.MetaDocument.Source, Chars = r.MetaDocument.Chars, MetaChunks = r.MetaDocument.MetaChunks },
        K = r.K, Attempts = r.Attempts, NearDuplicatesSkipped = r.NearDuplicatesSkipped,
        FalseNegativesSkipped = new() { NearDuplicateCosine = r.FalseNegativesSkipped.NearDuplicateCosine, ShingleContainment = r.FalseNegativesSkipped.ShingleContainment, ShingleJaccard = r.FalseNegativesSkipped.ShingleJaccard },
        Spans = [.. r.Spans.Select(s => new ClassSpan
        {
            Role = s.Role, MetaChunk = s.MetaChunk, ChunkId = s.ChunkId, Document = s.Document, Source = s.Source, Rank = s.Rank,
            Similarity = s.Similarity, Cosine = s.Cosine, CharStart = s.CharStart, CharEnd = s.CharEnd, TokenStart = s.TokenStart,
            TokenEnd = s.TokenEnd, Truncated = s.Truncated,
        })],
    };

    // Every field, in a form two rows can be compared by (the row checksum leaves out the cosine).
    private static string Fields(ParquetDocumentRow r) => System.Text.Json.JsonSerializer.Serialize(ToClass(r), Options);

    private static readonly System.Text.Json.JsonSerializerOptions Options = new() { TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver() };

    [Fact]
    public async Task Files_are_the_class_serializers_bytes_and_read_back_whole()
    {
        var groups = new[] { Rows(0, 12), Rows(12, 1), Rows(13, 20) };
        var metadata = new Dictionary<string, string> { ["nextlong.row_xxh3"] = "x" };

        using var columns = new MemoryStream();
        using var classes = new MemoryStream();
        for (int g = 0; g < groups.Length; g++)
        {
            await using (var writer = await ParquetWriter.CreateAsync(ParquetDocumentLayout.Schema, columns, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, append: g > 0, Ct))
            {
                writer.CustomMetadata = metadata;
                using var group = writer.CreateRowGroup();
                await ParquetDocumentLayout.WriteAsync(group, groups[g], Ct);
            }
            await ParquetSerializer.SerializeAsync(groups[g].Select(ToClass), classes,
                new ParquetOptions { CompressionMethod = CompressionMethod.Snappy, Append = g > 0, RowGroupSize = groups[g].Count }, metadata, Ct);
        }
        Assert.Equal(classes.ToArray(), columns.ToArray());

        columns.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(columns, cancellationToken: Ct);
        Assert.Equal(groups.Length, reader.RowGroupCount);
        for (int g = 0; g < groups.Length; g++)
        {
            var back = await ParquetDocumentLayout.ReadAsync(reader, g, Ct);
            Assert.Equal(groups[g].Select(Fields), back.Select(Fields));
        }
    }

    [Fact]
    public async Task A_file_with_the_layouts_names_but_a_null_where_nextlong_writes_none_is_refused()
    {
        var rows = Rows(3, 2);
        using var file = new MemoryStream();
        var classRows = rows.Select(ToClass).ToList();
        classRows[1].MetaDocument.Source = null!;
        await ParquetSerializer.SerializeAsync(classRows, file, cancellationToken: Ct);
        file.Position = 0;
        await using var reader = await ParquetReader.CreateAsync(file, cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => ParquetDocumentLayout.ReadAsync(reader, 0, Ct));
        Assert.Contains("meta_document/source", error.Message);
        Assert.Contains("row 1", error.Message);
    }

    /// <summary>
    /// The footer's row checksums cover every field, each span's cosine included; files of earlier versions, whose
    /// checksums (under the old key) left the cosine out, still verify. A changed cosine is caught under the new key.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Verify_checks_the_row_checksums_with_the_cosine_and_still_reads_the_earlier_key(bool current)
    {
        string dir = TempDir.Create();
        var rows = Rows(0, 6);
        // Spans that tile their text and tokens, as verify's record checks require.
        foreach (var row in rows)
        {
            row.Text = string.Concat(Enumerable.Repeat("abcdefghij", Math.Max(1, row.Spans.Count)));
            row.NumTokens = 2 * row.Spans.Count;
            for (int j = 0; j < row.Spans.Count; j++)
                (row.Spans[j].CharStart, row.Spans[j].CharEnd, row.Spans[j].TokenStart, row.Spans[j].TokenEnd) = (10 * j, 10 * j + 10, 2 * j, 2 * j + 2);
        }
        rows.RemoveAll(r => r.Spans.Count == 0);
        Assert.Contains(rows, r => r.Spans.Any(sp => sp.Cosine is not null));
        string key = current ? ParquetRowChecksum.MetadataKey : ParquetRowChecksum.WithoutCosineMetadataKey;
        var checksum = new ParquetRowChecksum();
        var recorded = string.Join(',', rows.Select(r => checksum.Of(r, cosine: current)));
        var expect = new DatasetExpectations { Vocabulary = "none" };

        string good = Path.Combine(dir, "good.parquet");
        await Write(good, rows, key, recorded);
        Assert.Equal(rows.Count, ParquetVerifier.Verify(good, expect, quick: false).Samples);

        // The same checksums over rows whose one cosine changed.
        var changed = rows.First(r => r.Spans.Any(sp => sp.Cosine is not null));
        changed.Spans.First(sp => sp.Cosine is not null).Cosine += 0.125;
        string bad = Path.Combine(dir, "bad.parquet");
        await Write(bad, rows, key, recorded);
        if (current)
        {
            var error = Assert.Throws<InvalidDataException>(() => ParquetVerifier.Verify(bad, expect, quick: false));
            Assert.Contains($"sample {rows.IndexOf(changed)} ", error.Message);
            Assert.Contains(ParquetRowChecksum.MetadataKey, error.Message);
        }
        else
            Assert.Equal(rows.Count, ParquetVerifier.Verify(bad, expect, quick: false).Samples);
    }

    private static async Task Write(string path, List<ParquetDocumentRow> rows, string key, string checksums)
    {
        await using var file = File.Create(path);
        await using var writer = await ParquetWriter.CreateAsync(ParquetDocumentLayout.Schema, file, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, cancellationToken: Ct);
        writer.CustomMetadata = new Dictionary<string, string> { [key] = checksums };
        using var group = writer.CreateRowGroup();
        await ParquetDocumentLayout.WriteAsync(group, rows, Ct);
    }
}
