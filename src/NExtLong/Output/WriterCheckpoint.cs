namespace NExtLong.Output;

/// <summary>A writer's state at a checkpoint: the complete files so far (relative names) and what it needs to continue.</summary>
/// <param name="Files">The complete files so far, relative to the dataset folder.</param>
/// <param name="State">The writer's own state (parts written, statistics), opaque to everyone else.</param>
public sealed record WriterCheckpoint(IReadOnlyList<string> Files, string State);
