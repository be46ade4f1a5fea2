using System.Text.Json;

namespace NExtLong.Output;

/// <summary><see cref="IJsonSink"/> over a <see cref="Utf8JsonWriter"/>.</summary>
internal readonly struct Utf8JsonSink(Utf8JsonWriter writer) : IJsonSink
{
    public void StartObject(string name) => writer.WriteStartObject(name);

    public void EndObject() => writer.WriteEndObject();

    public void StartArray(string name) => writer.WriteStartArray(name);

    public void StartElementObject() => writer.WriteStartObject();

    public void EndArray() => writer.WriteEndArray();

    public void String(string name, string value) => writer.WriteString(name, value);

    public void Number(string name, long value) => writer.WriteNumber(name, value);

    public void Float(string name, double value) => writer.WriteNumber(name, value);

    public void Boolean(string name, bool value) => writer.WriteBoolean(name, value);

    public void Null(string name) => writer.WriteNull(name);
}
