using System.Text;
using NExtLong.Corpus;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using System.Text.Json.Serialization;

namespace NExtLong.Tests;

/// <summary>
/// Whole Parquet rows (kept by dedup, shown by inspect) are assembled from the leaf columns by their definition and
/// repetition levels. Files here are written by Parquet.Net's own serializers, and each row must come back as
/// the JSON of exactly what was written: nulls, empty lists, nulls inside lists, structs, lists of structs, lists of
/// lists and maps, across row groups. Leaf values are as Parquet.Net decodes them (a date as a DateTime, a timestamp
/// without its time zone), as its untyped deserializer gave them before.
/// </summary>
public sealed class ParquetRowAssemblerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Meta
    {
        [JsonPropertyName("url")] public string? Url { get; set; }
        [JsonPropertyName("score")] public double? Score { get; set; }
    }

    private sealed class Span
    {
        [JsonPropertyName("a")] public int A { get; set; }
        [JsonPropertyName("b")] public string? B { get; set; }
    }

    private sealed class Row
    {
        [JsonPropertyName("id")] public string? Id { get; set; }
        [JsonPropertyName("text")] public string? Text { get; set; }
        [JsonPropertyName("meta")] public Meta? Meta { get; set; }
        [JsonPropertyName("tags")] public List<string?>? Tags { get; set; }
        [JsonPropertyName("spans")] public List<Span>? Spans { get; set; }
        [JsonPropertyName("grid")] public List<List<int>>? Grid { get; set; }
        [JsonPropertyName("attrs")] public Dictionary<string, long?>? Attrs { get; set; }
        [JsonPropertyName("blob")] public byte[]? Blob { get; set; }
        [JsonPropertyName("n")] public long N { get; set; }
    }

    private static List<Row> NestedRows() =>
    [
        new()
        {
            Id = "r0", Text = "first row text", Meta = new() { Url = "http://x/é", Score = 1.5 }, Tags = ["a", null, "c"],
            Spans = [new() { A = 1, B = "x" }, new() { A = 2, B = null }], Grid = [[1, 2], [], [3]],
            Attrs = new() { ["k1"] = 10, ["k2"] = null }, Blob = [1, 2, 3], N = 7,
        },
        new() { Id = "r1", Text = "second 😀", Meta = null, Tags = [], Spans = null, Grid = [], Attrs = [], Blob = null, N = 8 },
        new()
        {
            Id = null, Text = "third", Meta = new() { Url = null, Score = null }, Tags = null, Spans = [new() { A = 3, B = "z" }],
            Grid = null, Attrs = null, Blob = [], N = 9,
        },
    ];

    private static readonly string[] NestedJson =
    [
        """{"id":"r0","text":"first row text","meta":{"url":"http://x/é","score":1.5},"tags":["a",null,"c"],"spans":[{"a":1,"b":"x"},{"a":2,"b":null}],"grid":[[1,2],[],[3]],"attrs":{"k1":10,"k2":null},"blob":"AQID","n":7}""",
        """{"id":"r1","text":"second \uD83D\uDE00","meta":null,"tags":[],"spans":null,"grid":[],"attrs":{},"blob":null,"n":8}""",
        """{"id":null,"text":"third","meta":{"url":null,"score":null},"tags":null,"spans":[{"a":3,"b":"z"}],"grid":null,"attrs":null,"blob":"","n":9}""",
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    public async Task Nested_rows_come_back_as_written(int rowGroupSize)
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("nested.parquet");
        await using (var file = File.Create(path))
            await ParquetSerializer.SerializeAsync(NestedRows(), file, new ParquetOptions { RowGroupSize = rowGroupSize }, cancellationToken: Ct);

        var records = CorpusReader.ReadRecords(new CorpusSource("s", [path]), path, new CorpusReadOptions(), new CorpusReadReport(), rawRows: true, ct: Ct)
            .Select(r => Encoding.UTF8.GetString(r.Raw.Span)).ToList();

        Assert.Equal(NestedJson, records);
    }

    [Fact]
    public async Task Rows_of_every_leaf_type_come_back_as_written()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.PathOf("types.parquet");
        var schema = new ParquetSchema(
            new DataField<string>("text"), new DataField<bool>("b"), new DataField<sbyte>("i8"), new DataField<byte>("u8"),
            new DataField<short>("i16"), new DataField<ushort>("u16"), new DataField<int?>("i32"), new DataField<uint>("u32"),
            new DataField<long>("i64"), new DataField<ulong>("u64"), new DataField<float>("f"), new DataField<double>("d"),
            new DataField<decimal>("dec"), new DataField<DateTime>("when"), new DataField<DateOnly>("day"), new DataField<Guid>("guid"));
        var when = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);
        await CorpusReaderParquetTests.Write(path, schema,
        [
            new()
            {
                ["text"] = "t", ["b"] = true, ["i8"] = (sbyte)-8, ["u8"] = (byte)200, ["i16"] = (short)-16000, ["u16"] = (ushort)60000,
                ["i32"] = null, ["u32"] = 4000000000u, ["i64"] = long.MinValue, ["u64"] = ulong.MaxValue, ["f"] = 0.5f, ["d"] = -2.25,
                ["dec"] = 12.5m, ["when"] = when, ["day"] = new DateOnly(2024, 5, 6), ["guid"] = new Guid("01234567-89ab-cdef-0123-456789abcdef"),
            },
        ], CompressionMethod.Zstd, 10);

        string json = Encoding.UTF8.GetString(CorpusReader.ReadRecords(new CorpusSource("s", [path]), path, new CorpusReadOptions(), new CorpusReadReport(), rawRows: true, ct: Ct).Single().Raw.Span);

        Assert.Equal("""{"text":"t","b":true,"i8":-8,"u8":200,"i16":-16000,"u16":60000,"i32":null,"u32":4000000000,"i64":-9223372036854775808,"u64":18446744073709551615,"f":0.5,"d":-2.25,"dec":12.5,"when":"2024-05-06T07:08:09.0000000","day":"2024-05-06T00:00:00.0000000Z","guid":"01234567-89ab-cdef-0123-456789abcdef"}""", json);
    }
}
