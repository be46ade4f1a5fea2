namespace NExtLong.Dedup;

/// <summary>What a dataset made from a dedup output records of it: the stats, and the dedup's config.json (its original inputs by content).</summary>
public sealed record DedupSummary(DedupStats Stats, string Config);
