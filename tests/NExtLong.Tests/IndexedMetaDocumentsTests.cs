using System.Text.Json;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Index;
using NExtLong.Output;
using NExtLong.Pipeline;
using NExtLong.Retrieval;
using NExtLong.Synthesis;
using Parquet;
using Parquet.Schema;

namespace NExtLong.Tests;

/// <summary>
/// Meta-documents served by the index: each document given back exactly as the chunker prepared it, and a dataset
/// made from the index's documents byte-identical to one made by reading the corpus.
/// </summary>
public class IndexedMetaDocumentsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Texts that stress the gaps: line endings of every kind, runs of blank lines and whitespace at the ends and
    // between paragraphs, paragraphs longer than a chunk (split inside, at spaces), surrogate pairs, a document
    // that is one long word. Real sample text around them so that synthesis finds negatives.
    private static string Hostile(int i)
    {
        string sample = SampleCorpus.Documents[i % SampleCorpus.Documents.Count];
        return (i % 8) switch
        {
            0 => sample,
            1 => "\r\n\r\n  " + sample.Replace("\n", "\r\n") + "\r\n \t\r\n",
            2 => sample.Replace("\n", "\r") + "\r",
            3 => "   lead\n\n\n\n" + sample + "\n\n \n\t\n   ",
            4 => string.Join("   ", Enumerable.Repeat("a long paragraph of words 🐋 with pairs", 12)) + "\n\n" + sample,
            5 => new string('x', 300) + "\n" + sample,
            6 => sample.Replace("\n", " \u00A0\n\u2029 "),
            _ => "\n" + sample + "\n",
        };
    }

    /// <summary>Two sources: one of JSON lines files (gzip and plain, blank lines, repeated ids, a record without an id), one of Parquet.</summary>
    private static async Task<(string A, string B)> WriteCorpus(string dir, int documents)
    {
        string a = Path.Combine(dir, "a"), b = Path.Combine(dir, "b");
        Directory.CreateDirectory(a);
        Directory.CreateDirectory(b);
        for (int f = 0; f < 2; f++)
        {
            var lines = new List<string>();
            for (int i = f; i < documents; i += 2)
            {
                if (i % 5 == 0) lines.Add("");
                lines.Add(i % 11 == 3 ? JsonSerializer.Serialize(new { text = Hostile(i) }) : JsonSerializer.Serialize(new { id = $"doc-{i % 37}", text = Hostile(i) }));
            }
            string name = Path.Combine(a, f == 0 ? "part-0.jsonl.gz" : "part-1.jsonl");
            File.WriteAllBytes(name, CorpusTestDirectory.Compress(name, System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n")));
        }
        var rows = Enumerable.Range(0, documents / 2).Select(i => new Dictionary<string, object?> { ["text"] = Hostile(i + 3), ["id"] = $"row-{i % 29}" }).ToList();
        await CorpusReaderParquetTests.Write(Path.Combine(b, "rows.parquet"), new ParquetSchema(new DataField<string>("text"), new DataField<string>("id")), rows,
            CompressionMethod.Snappy, rowGroupSize: 17);
        return (a, b);
    }

    [Theory]
    [InlineData(ChunkingMode.Clean)]
    [InlineData(ChunkingMode.PythonCompat)]
    public async Task The_index_gives_every_document_back_as_the_chunker_prepared_it_with_its_origin(ChunkingMode mode)
    {
        string dir = TempDir.Create();
        var (a, b) = await WriteCorpus(dir, 120);
        string index = Path.Combine(dir, "index");
        var corpus = new CorpusInputOptions { Inputs = [a, b] };
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Bm25, Corpus = corpus, OutDir = index, Chunking = new() { ChunkChars = 64, ChunkingMode = mode } }, ct: Ct);

        var chunker = new ParagraphChunker(64, mode);
        var sources = corpus.Sources();
        var files = sources.SelectMany(s => CorpusReader.ResolveFiles(s).Select(f => (Source: s, File: f))).ToList();
        using var opened = ChunkIndex.Open(index, ct: Ct);
        Assert.True(opened.HoldsDocumentTexts);
        Assert.NotNull(opened.Lexical);
        // Opened as the choice of meta-documents opens it: the same documents, without the BM25 index it does not search.
        using var documentsOnly = ChunkIndex.OpenDocuments(index, Ct);
        Assert.Null(documentsOnly.Lexical);
        Assert.Contains("documents only", Assert.Throws<InvalidOperationException>(() => documentsOnly.Vectors).Message);
        Assert.Equal(opened.DocumentCount, documentsOnly.DocumentCount);
        Assert.Equal(opened.ChunkCount, documentsOnly.ChunkCount);
        int doc = 0, withGaps = 0;
        for (int f = 0; f < files.Count; f++)
            foreach (var read in CorpusReader.ReadFile(files[f].Source, files[f].File, new CorpusReadOptions(), new CorpusReadReport(), Ct))
            {
                string prepared = chunker.Prepare(read.Text);
                Assert.Equal(prepared, opened.PreparedText(doc));
                var (inputFile, record) = opened.Origin(doc);
                Assert.Equal(f, inputFile);
                Assert.Equal(read.Location, CorpusReader.LocationOf(files[f].File, record));
                Assert.Equal(prepared, opened.DocumentText(doc));
                Assert.Equal(prepared, documentsOnly.DocumentText(doc));
                Assert.Equal(opened.Origin(doc), documentsOnly.Origin(doc));
                var stored = opened.Document(doc);
                if (string.Join('\n', Enumerable.Range(0, stored.ChunkCount).Select(i => opened.ChunkText(stored.FirstChunk + i))) != prepared) withGaps++;
                doc++;
            }
        Assert.Equal(opened.DocumentCount, doc);
        // The texts did put text outside the chunks, which joining the chunks alone would lose.
        Assert.True(withGaps > doc / 2, $"{withGaps} of {doc}");
    }

    [Fact]
    public async Task A_dataset_from_the_index_s_documents_is_the_dataset_from_reading_the_corpus()
    {
        string dir = TempDir.Create();
        var (a, b) = await WriteCorpus(dir, 160);
        string index = Path.Combine(dir, "index");
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Bm25, Corpus = new() { Inputs = [a, b] }, OutDir = index }, ct: Ct);
        SynthesisStage.Options Options(string name, int threads, bool read) => new()
        {
            IndexDir = index,
            Corpus = new() { Inputs = [$"{a}@3", $"{b}@1"] },
            OutDir = Path.Combine(dir, name),
            Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 12, DocumentsPerPart = 5 },
            Output = new() { Formats = [DatasetFormat.JsonlZst, DatasetFormat.Mds] },
            Execution = new() { Threads = threads },
            ReadMetaDocumentsFromCorpus = read,
        };

        var served = SynthesisStage.Run(Options("served", 2, read: false), ct: Ct);
        var read = SynthesisStage.Run(Options("read", 1, read: true), ct: Ct);

        Assert.Equal(2, served.SourcesFromIndex);
        Assert.Equal(0, read.SourcesFromIndex);
        Assert.Equal(12, served.Stats!.DocumentsWritten);
        Assert.Equal(read.Report.Summary(20), served.Report.Summary(20));
        Assert.Equal(read.Report.DocumentsRead, served.Report.DocumentsRead);
        AssertSameFolder(Path.Combine(dir, "read"), Path.Combine(dir, "served"));

        // A changed file of the same size: the index is stale, and the run says so whether or not it would serve.
        string part = Path.Combine(a, "part-1.jsonl");
        byte[] bytes = File.ReadAllBytes(part);
        int at = Array.IndexOf(bytes, (byte)'e');
        bytes[at] = (byte)'E';
        File.WriteAllBytes(part, bytes);
        var stale = Assert.Throws<InvalidDataException>(() => SynthesisStage.Run(Options("stale", 2, read: false), ct: Ct));
        Assert.Contains("stale", stale.Message);
    }

    [Fact]
    public void An_index_that_skipped_records_or_read_other_fields_does_not_serve_and_the_dataset_is_the_same()
    {
        string dir = TempDir.Create();
        string corpus = Path.Combine(dir, "corpus");
        Directory.CreateDirectory(corpus);
        var lines = SampleCorpus.Documents.Take(80).Select((t, i) => JsonSerializer.Serialize(new { id = $"d{i}", body = t, text = t })).ToList();
        lines.Insert(10, "{\"id\": \"broken\", \"text\": ");
        File.WriteAllLines(Path.Combine(corpus, "part.jsonl"), lines);
        var skip = CorpusBadRecordAction.Skip;
        string index = Path.Combine(dir, "index");
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Bm25, Corpus = new() { Inputs = [corpus], OnBadRecord = skip }, OutDir = index }, ct: Ct);
        SynthesisStage.Options Options(string name, bool read, string? textField = null) => new()
        {
            IndexDir = index,
            Corpus = new() { Inputs = [corpus], OnBadRecord = skip, TextField = textField },
            OutDir = Path.Combine(dir, name),
            Synthesis = new SynthesisOptions { TargetTokens = 4096, NumSamples = 6 },
            ReadMetaDocumentsFromCorpus = read,
        };

        var skipped = SynthesisStage.Run(Options("skipped", read: false), ct: Ct);
        Assert.Equal(0, skipped.SourcesFromIndex);
        Assert.Equal(1, skipped.Report.SkippedTotal);
        SynthesisStage.Run(Options("skipped-read", read: true), ct: Ct);
        AssertSameFolder(Path.Combine(dir, "skipped-read"), Path.Combine(dir, "skipped"));

        // Without the bad record the index serves, but not a run that reads another field.
        lines.RemoveAt(10);
        File.WriteAllLines(Path.Combine(corpus, "part.jsonl"), lines);
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Bm25, Corpus = new() { Inputs = [corpus] }, OutDir = index, Execution = new() { Overwrite = true } }, ct: Ct);
        Assert.Equal(1, SynthesisStage.Run(Options("clean", read: false), ct: Ct).SourcesFromIndex);
        Assert.Equal(0, SynthesisStage.Run(Options("body", read: false, textField: "body"), ct: Ct).SourcesFromIndex);

        // And the index itself is not reused for another field: it records the fields it read.
        var other = Assert.Throws<IOException>(() => IndexStage.Run(new IndexStage.Options
            { Retriever = RetrieverKind.Bm25, Corpus = new() { Inputs = [corpus], TextField = "body" }, OutDir = index }, ct: Ct));
        Assert.Contains("fields: text text, id id → text body, id id", other.Message);
    }

    private static void AssertSameFolder(string expected, string actual)
    {
        var names = Directory.GetFiles(expected, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(expected, f))
            .Where(f => f != OutputFolder.MarkerFile).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(names, Directory.GetFiles(actual, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(actual, f))
            .Where(f => f != OutputFolder.MarkerFile).Order(StringComparer.Ordinal));
        foreach (string name in names)
            Assert.True(File.ReadAllBytes(Path.Combine(expected, name)).SequenceEqual(File.ReadAllBytes(Path.Combine(actual, name))), name);
    }
}
