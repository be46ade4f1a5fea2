namespace NExtLong.Output;

/// <summary>
/// Named JSON values written into an open object: what <see cref="ProvenanceJson"/> needs, so the same properties
/// go out compact (<see cref="Utf8JsonSink"/>, JSON lines) or as Python's json.dumps writes them
/// (<see cref="PythonJsonSink"/>, MDS json columns).
/// </summary>
internal interface IJsonSink
{
    void StartObject(string name);

    void EndObject();

    /// <summary>Starts an array property; <see cref="StartElementObject"/> then adds objects to it.</summary>
    void StartArray(string name);

    void StartElementObject();

    void EndArray();

    void String(string name, string value);

    void Number(string name, long value);

    /// <summary>A floating-point value (Python writes 1.0 where an integer would be 1).</summary>
    void Float(string name, double value);

    void Boolean(string name, bool value);

    void Null(string name);
}
