using System.IO.Compression;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using NExtLong.Chunking;
using NExtLong.Corpus;
using NExtLong.Output;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>
/// Property-based checks (FsCheck) of the pieces that take outside input: the chunker, the corpus readers and the
/// dataset writer/reader pair. Test counts are fixed so the run stays within seconds in CI.
/// </summary>
public class PropertyTests
{
    // Text built from pieces that stress chunking: words, sentence ends, CR/LF, blank lines, tabs, astral characters.
    private static readonly Gen<string> Texts = Gen.ArrayOf(Gen.Elements(
            "word", "Longer-word", " ", "  ", ". ", "! ", "? ", "\n", "\r\n", "\r", "\n\n", "\t", "😀", "日本", "é", "x\u0301", "\"quoted.\" ", "…"))
        .Select(parts => string.Concat(parts));

    private static readonly Gen<byte[]> Bytes = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b));

    [Property(MaxTest = 300)]
    public Property Clean_chunks_fit_s_keep_all_text_and_never_overlap()
        => Prop.ForAll(Texts.ToArbitrary(), Gen.Choose(1, 120).ToArbitrary(), (text, s) =>
        {
            var chunker = new ParagraphChunker(s);
            string doc = chunker.Prepare(text);
            var chunks = chunker.Chunk(doc);
            int last = 0;
            var kept = new StringBuilder();
            foreach (var c in chunks)
            {
                if (c.Start < last || TextLength.Of(c.Of(doc)) > s || c.Of(doc).IsWhiteSpace()) return false;
                if (char.IsLowSurrogate(doc[c.Start]) || char.IsHighSurrogate(doc[c.End - 1])) return false;
                if (!doc.AsSpan(last, c.Start - last).IsWhiteSpace()) return false;
                kept.Append(c.Of(doc));
                last = c.End;
            }
            return doc.AsSpan(last).IsWhiteSpace() && Squeeze(kept.ToString()) == Squeeze(doc);
        });

    [Property(MaxTest = 300)]
    public Property Python_compat_chunks_are_contiguous_slices_covering_the_document()
        => Prop.ForAll(Texts.ToArbitrary(), Gen.Choose(1, 60).ToArbitrary(), (text, s) =>
        {
            var chunker = new ParagraphChunker(s, ChunkingMode.PythonCompat);
            var chunks = chunker.Chunk(text);
            // chunking.py only ever drops empty segments, so the non-newline content survives intact.
            string joined = string.Concat(chunks.Select(c => c.Of(text).ToString()));
            return joined.Replace("\n", "") == text.Replace("\n", "") && chunks.Zip(chunks.Skip(1)).All(p => p.First.End < p.Second.Start);
        });

    [Property(MaxTest = 150)]
    public Property Arbitrary_bytes_as_jsonl_fail_only_with_a_located_format_error_or_are_skipped()
        => Prop.ForAll(Bytes.ToArbitrary(), Gen.Elements(".jsonl", ".jsonl.gz", ".jsonl.zst", ".parquet").ToArbitrary(), (bytes, extension) =>
        {
            using var dir = new CorpusTestDirectory();
            string path = dir.WriteBytes("fuzz" + extension, bytes);
            var source = CorpusSource.Parse(path);
            try
            {
                foreach (var d in CorpusReader.Read(source, new CorpusReadOptions(), new CorpusReadReport()))
                    if (string.IsNullOrWhiteSpace(d.Text)) return false;
            }
            catch (CorpusFormatException e) when (e.Message.Contains("fuzz")) { }
            var report = new CorpusReadReport();
            // In skip mode nothing escapes: every problem is counted.
            var docs = CorpusReader.Read(source, new CorpusReadOptions { OnBadRecord = CorpusBadRecordAction.Skip }, report).ToList();
            return docs.Count == report.DocumentsRead;
        });

    [Property(MaxTest = 100)]
    public Property Jsonl_lines_with_noise_keep_every_good_record()
        => Prop.ForAll(Gen.ArrayOf(Gen.OneOf(Texts.Select(t => (Good: true, Line: System.Text.Json.JsonSerializer.Serialize(new { text = t + "x" }))),
                Bytes.Select(b => (Good: false, Line: "{" + Encoding.Latin1.GetString(b).Replace("\n", " ").Replace("\r", " "))))).ToArbitrary(), lines =>
        {
            using var dir = new CorpusTestDirectory();
            string path = dir.WriteText("noisy.jsonl.gz", string.Join("\n", lines.Select(l => l.Line)));
            var report = new CorpusReadReport();
            var docs = CorpusReader.Read(CorpusSource.Parse(path), new CorpusReadOptions { OnBadRecord = CorpusBadRecordAction.Skip }, report).ToList();
            var expected = lines.Where(l => l.Good).Select(l => System.Text.Json.JsonDocument.Parse(l.Line).RootElement.GetProperty("text").GetString()!.Replace("\r\n", "\n")).ToList();
            // Every good record comes through, and everything read is accounted for in the report.
            return expected.All(e => docs.Any(d => d.Text.Replace("\r\n", "\n") == e)) && docs.Count == report.DocumentsRead;
        });

    [Property(MaxTest = 100)]
    public Property Dataset_writer_output_reads_back_exactly()
        => Prop.ForAll(Gen.ArrayOf(Texts).ToArbitrary(), texts =>
        {
            string dir = TempDir.Create();
            using (var writer = new JsonlZstDatasetWriter(dir, documentsPerPart: 3))
                WriteAll(writer, texts);
            var docs = DatasetReader.ReadDocuments(dir);
            bool same = docs.Count == texts.Length && docs.Select(d => d.GetProperty("text").GetString()).SequenceEqual(texts);
            Directory.Delete(dir, recursive: true);
            return same;
        });

    /// <summary>
    /// jsonl.zst parts are compressed on as many threads as the run has; zstd's multi-threaded frames must be the same
    /// bytes for any count, or a dataset would depend on --threads. ~30 MB a part, so zstd cuts several jobs.
    /// </summary>
    [Fact]
    public void Jsonl_zst_parts_are_the_same_bytes_on_any_number_of_compression_threads()
    {
        var random = new Random(5);
        string[] words = [.. Enumerable.Range(0, 5000).Select(_ => new string(Enumerable.Range(0, random.Next(2, 12)).Select(_ => (char)('a' + random.Next(26))).ToArray()))];
        string[] texts = [.. Enumerable.Range(0, 120).Select(_ => string.Join(' ', Enumerable.Range(0, 40_000).Select(_ => words[random.Next(words.Length)])))];
        byte[][] Write(int threads)
        {
            string dir = TempDir.Create();
            using (var writer = new JsonlZstDatasetWriter(dir, documentsPerPart: 100, compressionThreads: threads))
                WriteAll(writer, texts);
            Assert.Equal(texts, DatasetReader.ReadDocuments(dir).Select(d => d.GetProperty("text").GetString()));
            byte[][] parts = [.. Directory.GetFiles(dir, "part-*.jsonl.zst").Order().Select(File.ReadAllBytes)];
            Directory.Delete(dir, recursive: true);
            return parts;
        }
        var one = Write(1);
        Assert.Equal(2, one.Length);
        Assert.True(one[0].Length > 1 << 20, $"{one[0].Length} bytes");
        foreach (int threads in new[] { 2, 5 })
        {
            var many = Write(threads);
            Assert.Equal(one.Length, many.Length);
            for (int p = 0; p < one.Length; p++) Assert.True(one[p].AsSpan().SequenceEqual(many[p]), $"part {p} differs with {threads} threads");
        }
    }

    /// <summary>A one-span document of <paramref name="text"/>, "docI" from source "src": what the writer tests write.</summary>
    internal static SynthesizedDocument Document(int i, string text)
    {
        var span = new DocumentSpan { Role = SpanRole.Meta, MetaChunk = 0, DocumentId = $"doc{i}", Source = "src", CharEnd = TextLength.Of(text), TokenEnd = 1 };
        return new SynthesizedDocument(text, 1, $"doc{i}", "src", TextLength.Of(text), 1, 1, 1, 0, default, [span]);
    }

    // Each text as a one-span document, "id-I" from "docI", then the writer completed.
    private static void WriteAll(JsonlZstDatasetWriter writer, string[] texts)
    {
        for (int i = 0; i < texts.Length; i++)
            writer.Write($"id-{i}", Document(i, texts[i]));
        writer.Complete();
    }

    private static string Squeeze(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));
}
