namespace NExtLong.Output;

/// <summary>A writer's state at a checkpoint: the complete files so far (relative names) and what it needs to continue.</summary>
public sealed record WriterCheckpoint(IReadOnlyList<string> Files, string State);
