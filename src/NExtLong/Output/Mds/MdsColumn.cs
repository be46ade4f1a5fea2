namespace NExtLong.Output.Mds;

/// <summary>One column of an MDS dataset: its name and how its values are encoded.</summary>
public sealed record MdsColumn(string Name, MdsEncoding Encoding);
