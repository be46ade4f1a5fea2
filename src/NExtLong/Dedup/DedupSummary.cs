namespace NExtLong.Dedup;

/// <summary>What a dataset made from a dedup output records of it: the stats, and the dedup's config.json (its original inputs by content).</summary>
/// <param name="Stats">The dedup output's stats.json.</param>
/// <param name="Config">The dedup output's config.json, verbatim.</param>
public sealed record DedupSummary(DedupStats Stats, string Config);
