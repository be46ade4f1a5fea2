using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace NExtLong.Corpus;

/// <summary>
/// A Parquet row (as <see cref="ParquetRowAssembler"/> gives it: column name → value, structs as nested dictionaries,
/// lists as lists, maps as lists of key/value pairs) written as one JSON object, so a stage that keeps "all input
/// fields" can emit Parquet input as JSON lines. Columns keep the schema's order; binary values become base64, dates
/// ISO 8601, floats their shortest round-trip form.
/// </summary>
internal static class ParquetRowJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Write(IReadOnlyDictionary<string, object?> row, IBufferWriter<byte> output)
    {
        using var json = new Utf8JsonWriter(output, Options);
        WriteValue(json, row);
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case string s: json.WriteStringValue(s); break;
            case bool b: json.WriteBooleanValue(b); break;
            case byte[] bytes: json.WriteBase64StringValue(bytes); break;
            case DateTime d: json.WriteStringValue(d.ToString("O", CultureInfo.InvariantCulture)); break;
            case DateOnly d: json.WriteStringValue(d.ToString("O", CultureInfo.InvariantCulture)); break;
            case Guid g: json.WriteStringValue(g); break;
            case float f when !float.IsFinite(f): json.WriteStringValue(f.ToString(CultureInfo.InvariantCulture)); break;
            case double d when !double.IsFinite(d): json.WriteStringValue(d.ToString(CultureInfo.InvariantCulture)); break;
            case float f: json.WriteNumberValue(f); break;
            case double d: json.WriteNumberValue(d); break;
            case decimal d: json.WriteNumberValue(d); break;
            case sbyte or byte or short or ushort or int or uint or long: json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture)); break;
            case ulong u: json.WriteNumberValue(u); break;
            case IReadOnlyList<KeyValuePair<object?, object?>> map:
                // A map's keys are of the key column's type: their invariant text names the members.
                json.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    json.WritePropertyName(Convert.ToString(key, CultureInfo.InvariantCulture) ?? "");
                    WriteValue(json, item);
                }
                json.WriteEndObject();
                break;
            case IReadOnlyDictionary<string, object?> fields:
                json.WriteStartObject();
                foreach (var (name, field) in fields)
                {
                    json.WritePropertyName(name);
                    WriteValue(json, field);
                }
                json.WriteEndObject();
                break;
            case IEnumerable items:
                json.WriteStartArray();
                foreach (object? item in items) WriteValue(json, item);
                json.WriteEndArray();
                break;
            default: json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }
}
