namespace NExtLong.Dedup;

/// <summary>What `dedup` removes: exact copies only, or exact and near copies (MinHash LSH); `run` also takes None.</summary>
public enum DedupMethod
{
    /// <summary>No deduplication: every record is kept (taken by `run` only).</summary>
    None,

    /// <summary>Removes exact copies: texts equal after NFC, invariant lowercasing and whitespace collapsing; the first copy is kept.</summary>
    Exact,

    /// <summary>
    /// Removes exact copies and near copies: MinHash LSH over word 5-gram shingles, 14 bands of 8 rows (datatrove's
    /// defaults); the first document of each cluster in input order is kept.
    /// </summary>
    MinHash,
}
