using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using ZstdSharp;

namespace NExtLong.Corpus;

/// <summary>
/// Reads JSON lines records: one object per line, of which only the text and id fields are decoded (no DOM); ids may
/// be strings or numbers. Blank lines are not records and are passed over.
/// </summary>
internal static class JsonLinesFileReader
{
    /// <summary>Streams the records of <paramref name="stream"/>, the decompressed bytes of the context's file; each raw record is its line.</summary>
    public static IEnumerable<CorpusRecord> Read(CorpusFileReadContext context, Stream stream, CancellationToken ct)
    {
        byte[][] textPath = FieldPath(context.Source.TextField);
        byte[][] idPath = FieldPath(context.Source.IdField);
        using var lines = new Utf8LineReader(stream);
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            bool more;
            try
            {
                more = lines.ReadLine();
            }
            catch (Exception broken) when (broken is InvalidDataException or EndOfStreamException or ZstdException)
            {
                // A compressed stream cannot be resumed past a break, so the rest of the file is lost; the line cut
                // by the break was never returned.
                long lastGood = lines.LineNumber;
                context.Reject(CorpusSkipReason.TruncatedTail, $"{context.Path}:{lastGood}", $"after line {lastGood}",
                    $"the compressed stream is truncated or corrupt, nothing after line {lastGood} can be read ({broken.Message})",
                    cause: broken);
                yield break;
            }
            if (!more)
                yield break;
            if (ReadRecord(context, lines.Line, lines.LineNumber, textPath, idPath) is { } document)
                yield return new CorpusRecord(document, lines.LineNumber, lines.LineMemory);
        }
    }

    private static CorpusDocument? ReadRecord(
        CorpusFileReadContext context, ReadOnlySpan<byte> line, long lineNumber, byte[][] textPath, byte[][] idPath)
    {
        if (line.Trim(" \t\r"u8).IsEmpty)
            return null;

        string location = CorpusReader.LocationOf(context.Path, lineNumber, rows: false);
        if (!Utf8.IsValid(line))
        {
            context.Reject(CorpusSkipReason.InvalidUtf8, location, CorpusFileReadContext.Where(lineNumber),
                $"the line is not valid UTF-8 (bad byte at offset {FirstInvalidByte(line)})");
            return null;
        }

        JsonTokenType textToken = JsonTokenType.None;
        string? text = null;
        string? id = null;
        try
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                context.Reject(CorpusSkipReason.Malformed, location, CorpusFileReadContext.Where(lineNumber), "the line is not a JSON object");
                return null;
            }
            ReadObject(ref reader, 0, textPath, true, idPath, true, ref textToken, ref text, ref id);
            // Anything but whitespace after the object makes this throw.
            reader.Read();
        }
        catch (JsonException malformed)
        {
            context.Reject(CorpusSkipReason.Malformed, location, CorpusFileReadContext.Where(lineNumber),
                $"malformed JSON: {malformed.Message}", cause: malformed);
            return null;
        }
        catch (InvalidOperationException unpaired)
        {
            // System.Text.Json refuses to decode escaped unpaired surrogates ("\ud800"), which are not Unicode text.
            context.Reject(CorpusSkipReason.InvalidUtf8, location, CorpusFileReadContext.Where(lineNumber),
                $"the text or id is not valid Unicode: {unpaired.Message}", cause: unpaired);
            return null;
        }

        if (text is null)
        {
            context.Reject(CorpusSkipReason.MissingText, location, CorpusFileReadContext.Where(lineNumber), textToken == JsonTokenType.None
                ? $"the record has no \"{context.Source.TextField}\" field"
                : $"\"{context.Source.TextField}\" is {Describe(textToken)}, not a string");
            return null;
        }
        return context.Accept(text, id ?? $"{context.RelativePath}:{lineNumber}", location, lineNumber);
    }

    /// <summary>
    /// Reads the object whose start the reader is on, keeping the values at the ends of the text and id paths and
    /// descending only into objects on those paths; everything else is skipped (though still checked as JSON).
    /// </summary>
    private static void ReadObject(ref Utf8JsonReader reader, int depth,
        byte[][] textPath, bool onTextPath, byte[][] idPath, bool onIdPath,
        ref JsonTokenType textToken, ref string? text, ref string? id)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool textName = onTextPath && reader.ValueTextEquals(textPath[depth]);
            bool idName = onIdPath && reader.ValueTextEquals(idPath[depth]);
            reader.Read();
            bool textInside = textName && depth < textPath.Length - 1;
            bool idInside = idName && depth < idPath.Length - 1;
            if (textName && !textInside)
            {
                textToken = reader.TokenType;
                text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            if (idName && !idInside)
            {
                id = reader.TokenType switch
                {
                    JsonTokenType.String => reader.GetString(),
                    JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                    _ => null,
                };
            }
            if (reader.TokenType == JsonTokenType.StartObject && (textInside || idInside))
                ReadObject(ref reader, depth + 1, textPath, textInside, idPath, idInside, ref textToken, ref text, ref id);
            else
                reader.Skip();
        }
    }

    private static byte[][] FieldPath(string field) =>
        field.Split('.').Select(Encoding.UTF8.GetBytes).ToArray();

    private static int FirstInvalidByte(ReadOnlySpan<byte> line)
    {
        int offset = 0;
        while (Rune.DecodeFromUtf8(line[offset..], out _, out int consumed) == OperationStatus.Done)
            offset += consumed;
        return offset;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.Null => "null",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        _ => token.ToString(),
    };
}
