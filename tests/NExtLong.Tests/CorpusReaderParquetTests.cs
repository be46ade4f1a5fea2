using NExtLong.Corpus;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace NExtLong.Tests;

public class CorpusReaderParquetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly CorpusReadOptions Fail = new();
    private static readonly CorpusReadOptions Skip = new() { OnBadRecord = CorpusBadRecordAction.Skip };

    public static TheoryData<CompressionMethod> Compressions => [CompressionMethod.Snappy, CompressionMethod.Gzip, CompressionMethod.Zstd];

    /// <summary>HuggingFaceFW/fineweb-edu: flat columns.</summary>
    private static readonly ParquetSchema FineWebEdu = new(
        new DataField<string>("text"), new DataField<string>("id"), new DataField<string>("dump"), new DataField<string>("url"),
        new DataField<string>("file_path"), new DataField<string>("language"), new DataField<double>("language_score"),
        new DataField<long>("token_count"), new DataField<double>("score"), new DataField<long>("int_score"));

    /// <summary>smollm-corpus cosmopedia-v2: no id column.</summary>
    private static readonly ParquetSchema CosmopediaV2 = new(
        new DataField<string>("prompt"), new DataField<string>("text"), new DataField<long>("token_length"),
        new DataField<string>("audience"), new DataField<string>("format"), new DataField<string>("seed_data"));

    /// <summary>smollm-corpus fineweb-edu-dedup: text, id and a nested metadata struct.</summary>
    private static readonly ParquetSchema FineWebEduDedup = new(
        new DataField<string>("text"), new DataField<string>("id"),
        new StructField("metadata", new DataField<string>("dump"), new DataField<string>("url"),
            new DataField<double>("language_score"), new DataField<long>("token_count")));

    [Theory]
    [MemberData(nameof(Compressions))]
    public async Task FineWeb_Edu_layout_round_trips_row_group_by_row_group(CompressionMethod compression)
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("data/CC-MAIN-2024-10/000_00000.parquet");
        var rows = Enumerable.Range(0, 2500).Select(i => new Dictionary<string, object?>
        {
            ["text"] = Text(i), ["id"] = $"<urn:uuid:{i:D8}>", ["dump"] = "CC-MAIN-2024-10", ["url"] = $"https://example.org/{i}",
            ["file_path"] = "s3://x", ["language"] = "en", ["language_score"] = 0.9, ["token_count"] = (long)i,
            ["score"] = 3.1, ["int_score"] = 3L,
        }).ToList();
        await Write(path, FineWebEdu, rows, compression, rowGroupSize: 1000);
        Assert.Equal(compression.ToString(), await CodecOf(path), ignoreCase: true);

        var report = new CorpusReadReport();
        var documents = CorpusReader.Read(new CorpusSource("fineweb-edu", [path]), Fail, report, Ct).ToList();

        Assert.Equal(rows.Select(r => r["id"]), documents.Select(d => d.Id));
        Assert.Equal(rows.Select(r => r["text"]), documents.Select(d => d.Text));
        Assert.Equal($"{path}#0", documents[0].Location);
        Assert.Equal($"{path}#2499", documents[^1].Location);
        Assert.All(documents, d => Assert.Equal("fineweb-edu", d.Source));
        Assert.Equal(2500, report.DocumentsRead);
        Assert.Equal(0, report.SkippedTotal);
    }

    [Theory]
    [MemberData(nameof(Compressions))]
    public async Task Cosmopedia_layout_without_ids_gets_file_and_row_ids(CompressionMethod compression)
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("cosmopedia-v2/train-00000-of-00104.parquet");
        var rows = Enumerable.Range(0, 300).Select(i => new Dictionary<string, object?>
        {
            ["prompt"] = $"Write a textbook unit {i}", ["text"] = Text(i), ["token_length"] = 100L + i,
            ["audience"] = "college_students", ["format"] = "textbook", ["seed_data"] = "stanford",
        }).ToList();
        await Write(path, CosmopediaV2, rows, compression, rowGroupSize: 128);

        var documents = CorpusReader.Read(
            new CorpusSource("cosmopedia", [System.IO.Path.Combine(dir.Path, "cosmopedia-v2")]), Fail, new CorpusReadReport(), Ct).ToList();

        Assert.Equal(rows.Select(r => r["text"]), documents.Select(d => d.Text));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"train-00000-of-00104.parquet#{i}"), documents.Select(d => d.Id));
    }

    [Theory]
    [MemberData(nameof(Compressions))]
    public async Task Dotted_paths_reach_into_the_metadata_struct(CompressionMethod compression)
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("fineweb-edu-dedup/train-00000-of-00234.parquet");
        var rows = Enumerable.Range(0, 50).Select(i => new Dictionary<string, object?>
        {
            ["text"] = Text(i), ["id"] = $"id-{i}",
            ["metadata"] = new Dictionary<string, object?>
            {
                ["dump"] = "CC-MAIN-2013-20", ["url"] = $"https://example.org/{i}", ["language_score"] = 0.97, ["token_count"] = (long)i,
            },
        }).ToList();
        await Write(path, FineWebEduDedup, rows, compression, rowGroupSize: 20);

        var byId = CorpusReader.Read(new CorpusSource("dedup", [path]), Fail, new CorpusReadReport(), Ct).ToList();
        var byUrl = CorpusReader.Read(new CorpusSource("dedup", [path], IdField: "metadata.url"), Fail, new CorpusReadReport(), Ct).ToList();
        var byCount = CorpusReader.Read(new CorpusSource("dedup", [path], IdField: "metadata.token_count"), Fail, new CorpusReadReport(), Ct).ToList();

        Assert.Equal(rows.Select(r => r["id"]), byId.Select(d => d.Id));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"https://example.org/{i}"), byUrl.Select(d => d.Id));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"{i}"), byCount.Select(d => d.Id));
        Assert.Equal(rows.Select(r => r["text"]), byUrl.Select(d => d.Text));
    }

    [Fact]
    public async Task Null_empty_and_too_large_texts_are_judged_per_row()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("rows.parquet");
        string?[] texts = ["good 0", null, "  ", "good 3", new string('x', 50), "good 5", null, "good 7"];
        var rows = texts.Select((t, i) => new Dictionary<string, object?> { ["text"] = t, ["id"] = i % 3 == 0 ? null : (long?)(1000 + i) }).ToList();
        var schema = new ParquetSchema(new DataField<string>("text"), new DataField<long?>("id"));
        await Write(path, schema, rows, CompressionMethod.Snappy, rowGroupSize: 3);
        var report = new CorpusReadReport();

        var documents = CorpusReader.Read(new CorpusSource("s", [path]), Skip with { MaxDocumentChars = 20 }, report, Ct).ToList();

        Assert.Equal(["good 0", "good 3", "good 5", "good 7"], documents.Select(d => d.Text));
        Assert.Equal(["rows.parquet#0", "rows.parquet#3", "1005", "1007"], documents.Select(d => d.Id));
        Assert.Equal(2, report.Skipped(CorpusSkipReason.MissingText));
        Assert.Equal(1, report.Skipped(CorpusSkipReason.Empty));
        Assert.Equal(1, report.Skipped(CorpusSkipReason.TooLarge));
        Assert.Equal([$"{path}#1", $"{path}#2", $"{path}#4", $"{path}#6"], report.FirstSkips.Select(s => s.Location));

        var error = Assert.Throws<CorpusFormatException>(() =>
            CorpusReader.Read(new CorpusSource("s", [path]), Fail, new CorpusReadReport(), Ct).ToList());
        Assert.Contains("rows.parquet", error.Message);
        Assert.Contains("row 1 (row group 0)", error.Message);
        Assert.Equal(CorpusSkipReason.MissingText, error.Reason);
    }

    [Theory]
    [InlineData(0.6)]
    [InlineData(0.99)]
    public async Task A_truncated_parquet_file_has_no_footer_and_no_readable_row(double keep)
    {
        using var dir = new CorpusTestDirectory();
        string whole = dir.PathOf("whole.parquet");
        await Write(whole, CosmopediaV2, Enumerable.Range(0, 200).Select(i => new Dictionary<string, object?>
        {
            ["prompt"] = "p", ["text"] = Text(i), ["token_length"] = 1L, ["audience"] = "a", ["format"] = "f", ["seed_data"] = "s",
        }).ToList(), CompressionMethod.Zstd, rowGroupSize: 50);
        byte[] bytes = File.ReadAllBytes(whole);
        string path = dir.WriteBytes("cut/truncated.parquet", bytes[..(int)(bytes.Length * keep)]);
        var report = new CorpusReadReport();

        Assert.Empty(CorpusReader.Read(new CorpusSource("s", [path]), Skip, report, Ct));
        Assert.Equal(1, report.Skipped(CorpusSkipReason.TruncatedTail));
        Assert.Equal(path, Assert.Single(report.FirstSkips).Location);

        var error = Assert.Throws<CorpusFormatException>(() =>
            CorpusReader.Read(new CorpusSource("s", [path]), Fail, new CorpusReadReport(), Ct).ToList());
        Assert.Contains("truncated.parquet", error.Message);
        Assert.Contains("footer", error.Message);
    }

    [Fact]
    public void Binary_garbage_named_parquet_is_reported_like_a_truncated_file()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.WriteBytes("garbage.parquet", [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31 + 7))]);
        var report = new CorpusReadReport();

        Assert.Empty(CorpusReader.Read(new CorpusSource("s", [path]), Skip, report, Ct));
        Assert.Equal(1, report.Skipped(CorpusSkipReason.TruncatedTail));
        Assert.Throws<CorpusFormatException>(() => CorpusReader.Read(new CorpusSource("s", [path]), Fail, new CorpusReadReport(), Ct).ToList());
    }

    [Fact]
    public async Task A_corrupt_row_group_is_skipped_whole_and_the_next_ones_still_read()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("corrupt.parquet");
        var rows = Enumerable.Range(0, 300).Select(i => new Dictionary<string, object?> { ["text"] = Text(i), ["id"] = $"r{i}" }).ToList();
        await Write(path, new ParquetSchema(new DataField<string>("text"), new DataField<string>("id")), rows, CompressionMethod.Snappy, rowGroupSize: 100);
        long offset;
        await using (var file = File.OpenRead(path))
        await using (ParquetReader reader = await ParquetReader.CreateAsync(file, cancellationToken: TestContext.Current.CancellationToken))
        {
            var meta = reader.RowGroups[1].RowGroup.Columns[0].MetaData!;
            offset = meta.DictionaryPageOffset ?? meta.DataPageOffset;
        }
        byte[] bytes = File.ReadAllBytes(path);
        bytes.AsSpan((int)offset, 64).Fill(0xFF);
        File.WriteAllBytes(path, bytes);
        var report = new CorpusReadReport();

        var documents = CorpusReader.Read(new CorpusSource("s", [path]), Skip, report, Ct).ToList();

        Assert.Equal(Enumerable.Range(0, 100).Concat(Enumerable.Range(200, 100)).Select(i => $"r{i}"), documents.Select(d => d.Id));
        Assert.Equal(100, report.Skipped(CorpusSkipReason.Malformed));
        Assert.Equal($"{path} row group 1", Assert.Single(report.FirstSkips).Location);

        var error = Assert.Throws<CorpusFormatException>(() =>
            CorpusReader.Read(new CorpusSource("s", [path]), Fail, new CorpusReadReport(), Ct).ToList());
        Assert.Contains("corrupt.parquet", error.Message);
        Assert.Contains("row group 1 (rows 100-199)", error.Message);
    }

    [Fact]
    public async Task A_file_without_the_text_column_lacks_text_in_every_row()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("no-text.parquet");
        await Write(path, new ParquetSchema(new DataField<string>("content"), new DataField<long>("n")),
            Enumerable.Range(0, 30).Select(i => new Dictionary<string, object?> { ["content"] = "c", ["n"] = (long)i }).ToList(),
            CompressionMethod.Gzip, rowGroupSize: 10);
        var report = new CorpusReadReport();

        Assert.Empty(CorpusReader.Read(new CorpusSource("s", [path]), Skip, report, Ct));
        Assert.Equal(30, report.Skipped(CorpusSkipReason.MissingText));

        var error = Assert.Throws<CorpusFormatException>(() =>
            CorpusReader.Read(new CorpusSource("s", [path]), Fail, new CorpusReadReport(), Ct).ToList());
        Assert.Contains("no-text.parquet", error.Message);
        Assert.Contains("no column \"text\"", error.Message);
        Assert.Contains("content", error.Message);

        var numeric = Assert.Throws<CorpusFormatException>(() =>
            CorpusReader.Read(new CorpusSource("s", [path], TextField: "n"), Fail, new CorpusReadReport(), Ct).ToList());
        Assert.Contains("not a string", numeric.Message);
    }

    internal static async Task Write(string path, ParquetSchema schema, List<Dictionary<string, object?>> rows,
        CompressionMethod compression, int rowGroupSize)
    {
        await using FileStream file = File.Create(path);
        await ParquetSerializer.SerializeUntypedAsync([.. rows.Cast<IDictionary<string, object?>>()], schema, file,
            new ParquetOptions { CompressionMethod = compression, RowGroupSize = rowGroupSize },
            cancellationToken: TestContext.Current.CancellationToken);
    }

    private static async Task<string> CodecOf(string path)
    {
        await using var file = File.OpenRead(path);
        await using ParquetReader reader = await ParquetReader.CreateAsync(file, cancellationToken: TestContext.Current.CancellationToken);
        return reader.RowGroups[0].RowGroup.Columns[0].MetaData!.Codec.ToString();
    }

    private static string Text(int i) =>
        $"Row {i}: café 😀 長文 " + string.Concat(Enumerable.Repeat($"token{i % 13} ", 1 + i % 29));
}
