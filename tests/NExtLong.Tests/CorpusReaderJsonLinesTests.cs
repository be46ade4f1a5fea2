using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using NExtLong.Corpus;

namespace NExtLong.Tests;

public class CorpusReaderJsonLinesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly CorpusReadOptions Fail = new();
    private static readonly CorpusReadOptions Skip = new() { OnBadRecord = CorpusBadRecordAction.Skip };

    public static TheoryData<string> JsonLinesNames => ["docs.jsonl", "docs.json", "docs.jsonl.gz", "docs.json.gz", "docs.jsonl.zst", "docs.json.zst"];

    [Theory]
    [MemberData(nameof(JsonLinesNames))]
    public void Each_json_lines_format_round_trips_the_documents_written(string name)
    {
        using var dir = new CorpusTestDirectory();
        var written = Enumerable.Range(0, 500).Select(i => (Id: $"doc-{i}", Text: SampleText(i))).ToArray();
        var lines = new StringBuilder();
        var raw = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (var (id, text) in written)
            lines.Append(JsonSerializer.Serialize(new { id, meta = new { url = $"https://x/{id}", tags = new[] { 1, 2 } }, text, score = 0.5 }, raw)).Append('\n');
        string path = dir.WriteText(name, lines.ToString());

        var (documents, report) = ReadAll(new CorpusSource("web", [path]), Fail);

        Assert.Equal(written.Select(w => w.Id), documents.Select(d => d.Id));
        Assert.Equal(written.Select(w => w.Text), documents.Select(d => d.Text));
        Assert.All(documents, d => Assert.Equal("web", d.Source));
        Assert.Equal($"{path}:1", documents[0].Location);
        Assert.Equal($"{path}:500", documents[^1].Location);
        Assert.Equal(500, report.DocumentsRead);
        Assert.Equal(0, report.SkippedTotal);
        Assert.Equal(path, Assert.Single(report.Files).Path);
    }

    [Theory]
    [InlineData("crlf.jsonl")]
    [InlineData("crlf.jsonl.gz")]
    [InlineData("crlf.jsonl.zst")]
    public void Handles_a_byte_order_mark_crlf_line_ends_and_no_final_newline(string name)
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.WriteText(name,
            "\uFEFF{\"id\":\"a\",\"text\":\"first\"}\r\n{\"id\":\"b\",\"text\":\"second\\r\\n\"}\r\n{\"id\":\"c\",\"text\":\"third\"}");

        var (documents, _) = ReadAll(new CorpusSource("s", [path]), Fail);

        Assert.Equal(["first", "second\r\n", "third"], documents.Select(d => d.Text));
        Assert.Equal(["a", "b", "c"], documents.Select(d => d.Id));
        Assert.Equal($"{path}:3", documents[2].Location);
    }

    [Fact]
    public void Blank_lines_are_not_records()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.WriteText("blank.jsonl", "{\"text\":\"one\"}\n\n  \t\r\n{\"text\":\"two\"}\n\n");

        var (documents, report) = ReadAll(new CorpusSource("s", [path]), Fail);

        Assert.Equal(["blank.jsonl:1", "blank.jsonl:4"], documents.Select(d => d.Id));
        Assert.Equal(0, report.SkippedTotal);
    }

    [Fact]
    public void Records_without_an_id_get_their_file_relative_to_the_source_folder_and_line()
    {
        using var dir = new CorpusTestDirectory();
        dir.WriteText("cosmopedia/part-1/train-00000.jsonl",
            "{\"prompt\":\"p\",\"text\":\"one\",\"token_length\":3,\"audience\":\"students\",\"format\":\"textbook\",\"seed_data\":\"s\"}\n" +
            "{\"prompt\":\"p\",\"text\":\"two\",\"token_length\":3,\"audience\":\"students\",\"format\":\"textbook\",\"seed_data\":\"s\"}\n");

        var (documents, _) = ReadAll(new CorpusSource("cosmopedia", [System.IO.Path.Combine(dir.Path, "cosmopedia")]), Fail);

        Assert.Equal(["part-1/train-00000.jsonl:1", "part-1/train-00000.jsonl:2"], documents.Select(d => d.Id));
    }

    [Fact]
    public void Reading_the_resolved_files_one_by_one_gives_what_reading_the_source_gives()
    {
        // A cluster rank reads files[r::W] with ReadFile; ids must not depend on how the files are split up.
        using var dir = new CorpusTestDirectory();
        dir.WriteText("corpus/b/2.jsonl", "{\"text\":\"b2\"}\n");
        dir.WriteText("corpus/a.jsonl.gz", "{\"text\":\"a\"}\n{\"text\":\"a again\"}\n");
        dir.WriteText("corpus/b/1.jsonl.zst", "{\"text\":\"b1\"}\n");
        var source = new CorpusSource("s", [System.IO.Path.Combine(dir.Path, "corpus")]);

        var whole = CorpusReader.Read(source, Fail, new CorpusReadReport(), Ct).ToList();
        var byFile = CorpusReader.ResolveFiles(source)
            .SelectMany(file => CorpusReader.ReadFile(source, file, Fail, new CorpusReadReport(), Ct)).ToList();

        Assert.Equal(["a.jsonl.gz:1", "a.jsonl.gz:2", "b/1.jsonl.zst:1", "b/2.jsonl:1"], whole.Select(d => d.Id));
        Assert.Equal(whole, byFile);
    }

    [Fact]
    public void One_report_counts_correctly_while_files_are_read_in_parallel()
    {
        using var dir = new CorpusTestDirectory();
        for (int f = 0; f < 8; f++)
            dir.WriteText($"shard-{f}.jsonl", ManyLines(2000) + "{\"text\":\"\"}\n{\"text\":1}\n");
        var source = new CorpusSource("s", [dir.Path]);
        var report = new CorpusReadReport();

        long documents = CorpusReader.ResolveFiles(source).AsParallel().WithDegreeOfParallelism(4)
            .Sum(file => (long)CorpusReader.ReadFile(source, file, Skip, report, Ct).Count());

        Assert.Equal(16_000, documents);
        Assert.Equal(16_000, report.DocumentsRead);
        Assert.Equal(8, report.Skipped(CorpusSkipReason.Empty));
        Assert.Equal(8, report.Skipped(CorpusSkipReason.MissingText));
        Assert.All(report.Files, file => Assert.Equal((2000, 2L), (file.DocumentsRead, file.SkippedTotal)));
    }

    [Fact]
    public void Cancellation_stops_the_read()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.WriteText("many.jsonl", ManyLines(100));
        using var cancel = new CancellationTokenSource();

        Assert.Throws<OperationCanceledException>(() =>
        {
            foreach (CorpusDocument _ in CorpusReader.Read(new CorpusSource("s", [path]), Fail, new CorpusReadReport(), cancel.Token))
                cancel.Cancel();
        });
    }

    [Fact]
    public void Ids_may_be_strings_or_numbers_and_null_ids_fall_back_to_file_and_line()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.WriteText("ids.jsonl",
            "{\"id\":12345,\"text\":\"a\"}\n{\"id\":-1.5e3,\"text\":\"b\"}\n{\"id\":\"x\\u00e9\",\"text\":\"c\"}\n{\"id\":null,\"text\":\"d\"}\n");

        var (documents, _) = ReadAll(new CorpusSource("s", [path]), Fail);

        Assert.Equal(["12345", "-1.5e3", "xé", "ids.jsonl:4"], documents.Select(d => d.Id));
    }

    [Fact]
    public void Dotted_field_paths_reach_into_nested_objects()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.WriteText("nested.jsonl",
            "{\"text\":\"not this\",\"metadata\":{\"url\":\"u\",\"id\":\"m-1\",\"list\":[{\"id\":\"no\"}]},\"content\":{\"body\":\"nested text\"}}\n" +
            "{\"content\":{\"body\":\"no metadata\"},\"metadata\":\"a string, not an object\"}\n");
        var source = new CorpusSource("s", [path], TextField: "content.body", IdField: "metadata.id");

        var (documents, _) = ReadAll(source, Fail);

        Assert.Equal(["nested text", "no metadata"], documents.Select(d => d.Text));
        Assert.Equal(["m-1", "nested.jsonl:2"], documents.Select(d => d.Id));
    }

    [Fact]
    public void Lines_longer_than_the_read_buffer_come_through_whole()
    {
        using var dir = new CorpusTestDirectory();
        string longText = string.Concat(Enumerable.Range(0, 40_000).Select(i => $"w{i} "));
        string path = dir.WriteText("long.jsonl.gz",
            $"{{\"text\":\"short\"}}\n{JsonSerializer.Serialize(new { text = longText })}\n{{\"text\":\"after\"}}\n");

        var (documents, _) = ReadAll(new CorpusSource("s", [path]), Fail);

        Assert.Equal(["short", longText, "after"], documents.Select(d => d.Text));
    }

    /// <summary>Bad lines, each with the reason it must be counted under; line 1 of every test file is good.</summary>
    private static readonly (string Case, byte[] Line, CorpusSkipReason Reason)[] BadLines =
    [
        ("unclosed-object", "{\"text\": \"abc\""u8.ToArray(), CorpusSkipReason.Malformed),
        ("not-an-object", "[1, 2, 3]"u8.ToArray(), CorpusSkipReason.Malformed),
        ("trailing-garbage", "{\"text\": \"a\"} x"u8.ToArray(), CorpusSkipReason.Malformed),
        ("text-garbage", "\u0001\u0002 this is not JSON"u8.ToArray(), CorpusSkipReason.Malformed),
        ("invalid-utf8", [.. "{\"text\": \"caf"u8, 0xC3, .. "\"}"u8], CorpusSkipReason.InvalidUtf8),
        ("binary-garbage", [0x00, 0xFF, 0x13, 0x9C, 0xFE, 0x7B, 0x22, 0xC0, 0x80, 0x01], CorpusSkipReason.InvalidUtf8),
        ("unpaired-surrogate", "{\"text\": \"a\\ud800b\"}"u8.ToArray(), CorpusSkipReason.InvalidUtf8),
        ("missing-text", "{\"id\": \"x\", \"body\": \"hello\"}"u8.ToArray(), CorpusSkipReason.MissingText),
        ("null-text", "{\"text\": null}"u8.ToArray(), CorpusSkipReason.MissingText),
        ("number-text", "{\"text\": 42}"u8.ToArray(), CorpusSkipReason.MissingText),
        ("object-text", "{\"text\": {\"en\": \"hi\"}}"u8.ToArray(), CorpusSkipReason.MissingText),
        ("too-large", "{\"text\": \"this text is longer than twenty characters\"}"u8.ToArray(), CorpusSkipReason.TooLarge),
    ];

    public static TheoryData<string> BadLineCases => [.. BadLines.Select(b => b.Case)];

    [Theory]
    [MemberData(nameof(BadLineCases))]
    public void A_bad_record_fails_the_read_naming_file_line_and_problem(string badCase)
    {
        var (_, line, reason) = BadLines.Single(b => b.Case == badCase);
        using var dir = new CorpusTestDirectory();
        string path = dir.WriteBytes("bad-input.jsonl", [.. "{\"text\":\"good one\"}\n{\"text\":\"good two\"}\n"u8, .. line, .. "\n{\"text\":\"good three\"}\n"u8]);
        var options = Fail with { MaxDocumentChars = 20 };
        var read = new List<CorpusDocument>();

        var error = Assert.Throws<CorpusFormatException>(() =>
        {
            foreach (CorpusDocument document in CorpusReader.Read(new CorpusSource("s", [path]), options, new CorpusReadReport(), Ct))
                read.Add(document);
        });

        Assert.Contains("bad-input.jsonl", error.Message);
        Assert.Contains("line 3", error.Message);
        Assert.Equal(path, error.FilePath);
        Assert.Equal(reason, error.Reason);
        Assert.Equal(["good one", "good two"], read.Select(d => d.Text));
    }

    [Fact]
    public void Skipping_bad_records_counts_each_by_reason_and_loses_no_good_record()
    {
        using var dir = new CorpusTestDirectory();
        var bytes = new List<byte>();
        var goodIds = new List<string>();
        int line = 0;
        foreach (var (badCase, badLine, _) in BadLines)
        {
            line++;
            bytes.AddRange(Encoding.UTF8.GetBytes($"{{\"id\":\"good-{line}\",\"text\":\"fine {line}\"}}\n"));
            goodIds.Add($"good-{line}");
            line++;
            bytes.AddRange(badLine);
            bytes.Add((byte)'\n');
        }
        line++;
        bytes.AddRange("{\"id\":\"empty\",\"text\":\" \\n\\t \"}"u8.ToArray());
        string path = dir.WriteBytes("mixed.jsonl", [.. bytes]);
        var report = new CorpusReadReport(skipLocationsKept: 3);

        var documents = CorpusReader.Read(new CorpusSource("s", [path]), Skip with { MaxDocumentChars = 20 }, report, Ct).ToList();

        Assert.Equal(goodIds, documents.Select(d => d.Id));
        Assert.Equal(BadLines.Count(b => b.Reason == CorpusSkipReason.Malformed), report.Skipped(CorpusSkipReason.Malformed));
        Assert.Equal(BadLines.Count(b => b.Reason == CorpusSkipReason.InvalidUtf8), report.Skipped(CorpusSkipReason.InvalidUtf8));
        Assert.Equal(BadLines.Count(b => b.Reason == CorpusSkipReason.MissingText), report.Skipped(CorpusSkipReason.MissingText));
        Assert.Equal(1, report.Skipped(CorpusSkipReason.TooLarge));
        Assert.Equal(1, report.Skipped(CorpusSkipReason.Empty));
        Assert.Equal(0, report.Skipped(CorpusSkipReason.TruncatedTail));
        Assert.Equal(line, report.DocumentsRead + report.SkippedTotal);
        CorpusFileCounts file = Assert.Single(report.Files);
        Assert.Equal(documents.Count, file.DocumentsRead);
        Assert.Equal(report.SkippedTotal, file.SkippedTotal);
        Assert.Equal([$"{path}:2", $"{path}:4", $"{path}:6"], report.FirstSkips.Select(s => s.Location));
        Assert.Contains("malformed 4", report.Summary());
        Assert.Contains("invalid-utf8 3", report.Summary());
    }

    [Fact]
    public void Empty_texts_are_counted_but_never_fail_the_read()
    {
        using var dir = new CorpusTestDirectory();
        string path = dir.WriteText("empty.jsonl", "{\"text\":\"\"}\n{\"text\":\"   \"}\n{\"text\":\"x\"}\n");
        var report = new CorpusReadReport();

        var documents = CorpusReader.Read(new CorpusSource("s", [path]), Fail, report, Ct).ToList();

        Assert.Equal("x", Assert.Single(documents).Text);
        Assert.Equal(2, report.Skipped(CorpusSkipReason.Empty));
    }

    [Fact]
    public void The_character_cap_counts_unicode_scalars_like_python()
    {
        using var dir = new CorpusTestDirectory();
        // Five emoji are ten UTF-16 units but five characters.
        string path = dir.WriteText("emoji.jsonl", "{\"text\":\"😀😀😀😀😀\"}\n{\"text\":\"😀😀😀😀😀😀\"}\n");
        var report = new CorpusReadReport();

        var documents = CorpusReader.Read(new CorpusSource("s", [path]), Skip with { MaxDocumentChars = 5 }, report, Ct).ToList();

        Assert.Equal("😀😀😀😀😀", Assert.Single(documents).Text);
        Assert.Equal(1, report.Skipped(CorpusSkipReason.TooLarge));
    }

    [Theory]
    [InlineData("cut.jsonl.gz", 0.5, false)]
    [InlineData("cut.jsonl.zst", 0.5, false)]
    [InlineData("cut.jsonl.gz", 0.9, false)]
    [InlineData("cut.jsonl.zst", 0.9, false)]
    [InlineData("cut.jsonl.gz", 0.5, true)]
    [InlineData("cut.jsonl.zst", 0.5, true)]
    [InlineData("cut.jsonl.gz", 0.9, true)]
    [InlineData("cut.jsonl.zst", 0.9, true)]
    public void A_truncated_compressed_file_is_a_skipped_tail_after_its_last_good_line(string name, double keep, bool decompressAhead)
    {
        using var dir = new CorpusTestDirectory();
        byte[] whole = CorpusTestDirectory.Compress(name, Encoding.UTF8.GetBytes(ManyLines(30000)));
        string path = dir.WriteBytes(name, whole[..(int)(whole.Length * keep)]);
        var report = new CorpusReadReport();
        var Skip = CorpusReaderJsonLinesTests.Skip with { DecompressAhead = decompressAhead };
        var Fail = CorpusReaderJsonLinesTests.Fail with { DecompressAhead = decompressAhead };

        var documents = CorpusReader.Read(new CorpusSource("s", [path]), Skip, report, Ct).ToList();

        Assert.InRange(documents.Count, 1, 29999);
        Assert.Equal(Enumerable.Range(0, documents.Count).Select(i => $"d{i}"), documents.Select(d => d.Id));
        Assert.Equal(1, report.Skipped(CorpusSkipReason.TruncatedTail));
        CorpusSkip skip = Assert.Single(report.FirstSkips);
        Assert.Equal($"{path}:{documents.Count}", skip.Location);
        Assert.Contains($"after line {documents.Count}", skip.Detail);

        var read = new List<CorpusDocument>();
        var error = Assert.Throws<CorpusFormatException>(() =>
        {
            foreach (CorpusDocument document in CorpusReader.Read(new CorpusSource("s", [path]), Fail, new CorpusReadReport(), Ct))
                read.Add(document);
        });
        Assert.Contains(name, error.Message);
        Assert.Contains($"after line {read.Count}", error.Message);
        Assert.Equal(CorpusSkipReason.TruncatedTail, error.Reason);
        Assert.Equal(documents.Count, read.Count);
    }

    [Fact]
    public void A_gzip_file_missing_only_its_trailer_is_noticed()
    {
        // GZipStream ends quietly here; every line decodes, but the file is still cut short.
        using var dir = new CorpusTestDirectory();
        byte[] whole = CorpusTestDirectory.Compress(".gz", Encoding.UTF8.GetBytes(ManyLines(100)));
        string path = dir.WriteBytes("no-trailer.jsonl.gz", whole[..^4]);
        var report = new CorpusReadReport();

        var documents = CorpusReader.Read(new CorpusSource("s", [path]), Skip, report, Ct).ToList();

        Assert.Equal(100, documents.Count);
        Assert.Equal($"{path}:100", Assert.Single(report.FirstSkips).Location);
        Assert.Equal(CorpusSkipReason.TruncatedTail, report.FirstSkips[0].Reason);
    }

    [Fact]
    public void Concatenated_gzip_members_read_as_one_file()
    {
        using var dir = new CorpusTestDirectory();
        byte[] first = CorpusTestDirectory.Compress(".gz", Encoding.UTF8.GetBytes(ManyLines(50)));
        byte[] second = CorpusTestDirectory.Compress(".gz", Encoding.UTF8.GetBytes("{\"id\":\"last\",\"text\":\"tail\"}\n"));
        string path = dir.WriteBytes("members.jsonl.gz", [.. first, .. second]);
        var report = new CorpusReadReport();

        var documents = CorpusReader.Read(new CorpusSource("s", [path]), Fail, report, Ct).ToList();

        Assert.Equal(51, documents.Count);
        Assert.Equal("last", documents[^1].Id);
        Assert.Equal(0, report.SkippedTotal);
    }

    [Theory]
    [InlineData("garbage.jsonl.gz")]
    [InlineData("garbage.jsonl.zst")]
    [InlineData("empty.jsonl.gz")]
    public void A_compressed_file_that_is_not_one_breaks_before_line_one(string name)
    {
        using var dir = new CorpusTestDirectory();
        byte[] bytes = name.StartsWith("empty", StringComparison.Ordinal) ? [] : Encoding.UTF8.GetBytes(ManyLines(10));
        string path = dir.WriteBytes(name, bytes);
        var report = new CorpusReadReport();

        Assert.Empty(CorpusReader.Read(new CorpusSource("s", [path]), Skip, report, Ct));
        Assert.Equal($"{path}:0", Assert.Single(report.FirstSkips).Location);

        var error = Assert.Throws<CorpusFormatException>(() =>
            CorpusReader.Read(new CorpusSource("s", [path]), Fail, new CorpusReadReport(), Ct).ToList());
        Assert.Contains(name, error.Message);
        Assert.Contains("after line 0", error.Message);
    }

    internal static string ManyLines(int count) =>
        string.Concat(Enumerable.Range(0, count).Select(i => JsonSerializer.Serialize(new { id = $"d{i}", text = SampleText(i) }) + "\n"));

    private static string SampleText(int i) =>
        $"Document {i}: naïve café, “quotes”, emoji 😀, CJK 長文, tab\t and newline\n, backslash \\ and \"quote\" " +
        string.Concat(Enumerable.Repeat($"filler {i * 7919 % 1000} ", i % 17));

    private static (List<CorpusDocument> Documents, CorpusReadReport Report) ReadAll(CorpusSource source, CorpusReadOptions options)
    {
        var report = new CorpusReadReport();
        return (CorpusReader.Read(source, options, report, Ct).ToList(), report);
    }
}
