namespace NExtLong.Output.Mds;

/// <summary>One column of an MDS dataset: its name and how its values are encoded.</summary>
/// <param name="Name">The column name as index.json records it, e.g. "input_ids".</param>
/// <param name="Encoding">How its values are stored.</param>
public sealed record MdsColumn(string Name, MdsEncoding Encoding);
