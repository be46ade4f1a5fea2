using System.Text.Json;
using NExtLong.Corpus;
using ZstdSharp;

namespace NExtLong.Inspection;

/// <summary>
/// Verifies JSON lines parts (part-*.jsonl.zst): every zstd frame decodes to its end (checking the frame
/// checksums where the frames carry them), every line is a JSON object with a text, and its num_tokens and
/// spans pass <see cref="TextRecords"/>.
/// </summary>
internal static class JsonLinesVerifier
{
    private static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xB5, 0x2F, 0xFD];

    public static FormatCount Verify(string path, DatasetExpectations expect, bool quick)
    {
        var files = DatasetLocator.Files(path, "*.jsonl.zst");
        string format = files.All(f => f.EndsWith(".zst", StringComparison.Ordinal)) ? "jsonl.zst" : "jsonl";
        if (quick)
        {
            // Counting needs the whole stream; a quick look only checks that each part starts a zstd frame.
            Span<byte> head = stackalloc byte[4];
            foreach (string file in files.Where(f => f.EndsWith(".zst", StringComparison.Ordinal)))
            {
                using var stream = File.OpenRead(file);
                if (stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4 || !head.SequenceEqual(ZstdMagic))
                    throw new InvalidDataException($"{file}: not zstd-compressed (no zstd frame at its start)");
            }
            return new FormatCount(format, path, 0, null, Ids: false, Counted: false);
        }
        long records = 0, tokens = 0;
        foreach (string file in files)
        {
            using var stream = File.OpenRead(file);
            using var data = file.EndsWith(".zst", StringComparison.Ordinal) ? new DecompressionStream(stream) : (Stream)stream;
            using var lines = new Utf8LineReader(data);
            while (true)
            {
                bool more;
                try
                {
                    more = lines.ReadLine();
                }
                catch (Exception e) when (e is ZstdException or EndOfStreamException or InvalidDataException)
                {
                    throw new InvalidDataException($"{file}: sample {records} (line {lines.LineNumber + 1}): the zstd stream is truncated or corrupt ({e.Message})", e);
                }
                if (!more)
                    break;
                if (lines.Line.Trim(" \t\r"u8).IsEmpty)
                    continue;
                string where = $"{file}: sample {records} (line {lines.LineNumber})";
                tokens += Record(lines.Line, expect, where);
                records++;
            }
        }
        return new FormatCount(format, path, records, tokens, Ids: false);
    }

    // Returns the record's num_tokens.
    private static long Record(ReadOnlySpan<byte> line, DatasetExpectations expect, string where)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var doc = JsonDocument.ParseValue(ref reader);
            // Anything but whitespace after the object makes this throw.
            reader.Read();
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"{where}: not a JSON object with a text");
            if (TextRecords.Check(root, text.GetString()!, expect, out long numTokens) is { } wrong)
                throw new InvalidDataException($"{where}: {wrong}");
            return numTokens;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"{where}: not valid JSON ({e.Message})", e);
        }
    }
}
