using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace NExtLong;

/// <summary>
/// Writes the values of nextlong's JSON trees (config.json, stats.json, plans: dictionaries of <c>object</c>) without
/// reflection, so that a natively compiled build writes the same bytes: strings, numbers, booleans, JSON nodes,
/// string-keyed dictionaries and sequences are written here as the reflection-based serializer writes them; any other
/// value by the contract <see cref="JsonContracts"/> holds for its type (and fails loudly when it holds none).
/// Reading an <c>object</c> gives a <see cref="JsonElement"/>, as the default does.
/// </summary>
internal sealed class ObjectTreeConverter : JsonConverter<object>
{
    public override object? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => JsonElement.ParseValue(ref reader);

    public override void Write(Utf8JsonWriter writer, object value, JsonSerializerOptions options)
    {
        switch (value)
        {
            case string s: writer.WriteStringValue(s); break;
            case char c: writer.WriteStringValue([c]); break;
            case byte[] bytes: writer.WriteBase64StringValue(bytes); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case int i: writer.WriteNumberValue(i); break;
            case long l: writer.WriteNumberValue(l); break;
            case uint u: writer.WriteNumberValue(u); break;
            case ulong u: writer.WriteNumberValue(u); break;
            case short s: writer.WriteNumberValue(s); break;
            case ushort u: writer.WriteNumberValue(u); break;
            case byte b: writer.WriteNumberValue(b); break;
            case sbyte b: writer.WriteNumberValue(b); break;
            case float f: WriteFloat(writer, f, options); break;
            case double d: WriteDouble(writer, d, options); break;
            case decimal m: writer.WriteNumberValue(m); break;
            case JsonNode node: node.WriteTo(writer, options); break;
            case JsonElement element: element.WriteTo(writer); break;
            case IDictionary dictionary when KeyNames(dictionary):
                writer.WriteStartObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    string key = entry.Key as string ?? Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture)!;
                    writer.WritePropertyName(options.DictionaryKeyPolicy?.ConvertName(key) ?? key);
                    WriteValue(writer, entry.Value, options);
                }
                writer.WriteEndObject();
                break;
            case IEnumerable sequence and not IDictionary:
                writer.WriteStartArray();
                foreach (object? item in sequence) WriteValue(writer, item, options);
                writer.WriteEndArray();
                break;
            default:
                // A record or enum: its own contract (and its own converter, e.g. DropReason's names).
                JsonSerializer.Serialize(writer, value, options.GetTypeInfo(value.GetType()));
                break;
        }
    }

    private void WriteValue(Utf8JsonWriter writer, object? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else Write(writer, value, options);
    }

    // Non-finite numbers are written as names only where the options allow them, as the default converters do.
    private static void WriteDouble(Utf8JsonWriter writer, double d, JsonSerializerOptions options)
    {
        if (double.IsFinite(d)) writer.WriteNumberValue(d);
        else JsonSerializer.Serialize(writer, d, options.GetTypeInfo(typeof(double)));
    }

    private static void WriteFloat(Utf8JsonWriter writer, float f, JsonSerializerOptions options)
    {
        if (float.IsFinite(f)) writer.WriteNumberValue(f);
        else JsonSerializer.Serialize(writer, f, options.GetTypeInfo(typeof(float)));
    }

    // Keys the default writes as their text: strings and integers (an enum key or a record key goes by its contract).
    private static bool KeyNames(IDictionary dictionary)
    {
        foreach (object key in dictionary.Keys)
            if (key is not (string or int or long)) return false;
        return true;
    }
}
