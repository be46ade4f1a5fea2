using System.Text.Encodings.Web;
using System.Text.Json;
using NExtLong.Output;

namespace NExtLong.Tests;

/// <summary>
/// <see cref="RelaxedJsonString"/> writes the bytes Utf8JsonWriter.WriteString writes under the relaxed encoder the
/// jsonl.zst parts use, for every code point, lone surrogates, controls and long texts: the parts do not change.
/// </summary>
public class RelaxedJsonStringTests
{
    [Fact]
    public void Every_code_point_and_every_awkward_string_is_written_as_the_json_writer_writes_it()
    {
        string controls = string.Concat(Enumerable.Range(0, 0x20).Select(c => (char)c)) + "\u007f\u0085\u00a0\u2028\u2029\ufeff\ufffd\uffff";
        List<string> texts =
        [
            "",
            "plain ascii, no escape at all",
            "\"quoted\" and back\\slashed / and <html> & 'apostrophes'",
            controls,
            "lone \ud800 high, lone \udc00 low, reversed \udc00\ud800, at the end \ud83d",
            "\ud83d\ude00 emoji 👍🏽 𝔢 東京 naïve\r\nline\ttab\fform\bback",
            string.Concat(Enumerable.Repeat("A paragraph of a document.\n\n", 5_000)),
            .. UnicodeTestTexts.ByCategory(stride: 3).Select(t => t.Text),
            .. UnicodeTestTexts.Random(200_000, seed: 5),
        ];
        var escaper = new RelaxedJsonString();
        foreach (string text in texts)
            Assert.Equal(Expected(text), Written(w => escaper.Write(w, "text", text)));
    }

    private static string Expected(string text) => Written(w => w.WriteString("text", text));

    // Hex, so that a failure shows where the bytes part.
    private static string Written(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        return Convert.ToHexString(stream.ToArray());
    }
}
