using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NExtLong.Output;

/// <summary>
/// Writes a long string property with the bytes <see cref="Utf8JsonWriter.WriteString(string, string?)"/> gives under
/// <see cref="JavaScriptEncoder.UnsafeRelaxedJsonEscaping"/>, faster: the writer escapes everything after a string's
/// first escape through the encoder's UTF-16 path and then transcodes it, and a document's text has a newline in every
/// paragraph; here the text is transcoded to UTF-8 once and copied between escapes, each escape written by the same
/// encoder. The jsonl.zst writer spent about as long escaping a document's text as synthesizing it at T = 512K.
/// </summary>
/// <remarks>Not thread-safe: one instance per writer, which reuses its buffers from string to string.</remarks>
internal sealed class RelaxedJsonString
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>Throws on a lone surrogate, which the writer escapes as "\uFFFD" and a lenient transcoding would not.</summary>
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ArrayBufferWriter<byte> _escaped = new();
    private byte[] _utf8 = [];

    /// <summary>Writes "<paramref name="name"/>": "<paramref name="value"/>" into the object <paramref name="writer"/> has open.</summary>
    public void Write(Utf8JsonWriter writer, string name, string value)
    {
        int most = Strict.GetMaxByteCount(value.Length);
        if (_utf8.Length < most) _utf8 = new byte[Math.Max(most, 2 * _utf8.Length)];
        int bytes;
        try
        {
            bytes = Strict.GetBytes(value, _utf8);
        }
        catch (EncoderFallbackException)
        {
            // Not well-formed UTF-16 (text decoded from UTF-8 never is): the writer's own path, as it always was.
            writer.WriteString(name, value);
            return;
        }
        ReadOnlySpan<byte> rest = _utf8.AsSpan(0, bytes);
        _escaped.ResetWrittenCount();
        _escaped.Write("\""u8);
        while (!rest.IsEmpty)
        {
            int at = Encoder.FindFirstCharacterToEncodeUtf8(rest);
            if (at < 0)
            {
                _escaped.Write(rest);
                break;
            }
            _escaped.Write(rest[..at]);
            rest = rest[at..];
            // One scalar value, escaped by the encoder (at most 12 bytes: a surrogate pair's two \uXXXX).
            System.Text.Rune.DecodeFromUtf8(rest, out _, out int length);
            var status = Encoder.EncodeUtf8(rest[..length], _escaped.GetSpan(16), out int read, out int written);
            if (status != OperationStatus.Done || read != length)
                throw new InvalidOperationException($"the JSON encoder did not escape a {length}-byte scalar ({status})");
            _escaped.Advance(written);
            rest = rest[length..];
        }
        _escaped.Write("\""u8);
        writer.WritePropertyName(name);
        writer.WriteRawValue(_escaped.WrittenSpan, skipInputValidation: true);
    }
}
