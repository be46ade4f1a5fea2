namespace NExtLong.Dedup;

/// <summary>What `dedup` removes: exact copies only, or exact and near copies (MinHash LSH); `run` also takes None.</summary>
public enum DedupMethod
{
    None,
    Exact,
    MinHash,
}
