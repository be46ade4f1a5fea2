using System.Buffers;
using System.Text.Json;

namespace NExtLong.Output;

/// <summary>
/// Makes one JSON line at a time in memory and appends it, with its newline, to a stream without flushing the stream.
/// A <see cref="Utf8JsonWriter"/> made on a compression stream flushes that stream at every <c>Flush</c>: a zstd flush
/// ends a block, and in multi-threaded mode it waits until everything given so far is compressed. Once per line, that
/// made the JSON and the compression of a jsonl.zst part take turns instead of running side by side.
/// </summary>
/// <remarks>Not thread-safe; the buffer grows to the longest line and is reused.</remarks>
internal sealed class JsonLines
{
    private readonly ArrayBufferWriter<byte> _line = new();
    private readonly Utf8JsonWriter _json;

    public JsonLines(JsonWriterOptions options) => _json = new Utf8JsonWriter(_line, options);

    /// <summary>The writer for the next line, empty.</summary>
    public Utf8JsonWriter Start()
    {
        _line.ResetWrittenCount();
        _json.Reset();
        return _json;
    }

    /// <summary>Appends the line written since <see cref="Start"/> and a newline to <paramref name="output"/>.</summary>
    public void AppendTo(Stream output)
    {
        _json.Flush();
        _line.Write("\n"u8);
        output.Write(_line.WrittenSpan);
    }
}
