using NExtLong.Output.Mds;

namespace NExtLong.Output;

/// <summary><see cref="IJsonSink"/> over a <see cref="PythonJsonWriter"/>: bytes as Python's json.dumps writes them.</summary>
internal readonly struct PythonJsonSink(PythonJsonWriter writer) : IJsonSink
{
    public void StartObject(string name) => writer.Name(name).StartObject();

    public void EndObject() => writer.EndObject();

    public void StartArray(string name) => writer.Name(name).StartArray();

    public void StartElementObject() => writer.StartObject();

    public void EndArray() => writer.EndArray();

    public void String(string name, string value) => writer.Name(name).String(value);

    public void Number(string name, long value) => writer.Name(name).Number(value);

    public void Float(string name, double value) => writer.Name(name).Float(value);

    public void Boolean(string name, bool value) => writer.Name(name).Boolean(value);

    public void Null(string name) => writer.Name(name).Null();
}
