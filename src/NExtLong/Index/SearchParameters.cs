namespace NExtLong.Index;

public sealed class SearchParameters
{
    /// <summary>Ids that must not be returned, per query (e.g. the meta-document's own chunks).</summary>
    public SearchExclusions? Exclusions { get; init; }

    /// <summary>Upper bound on threads used for one batched search.</summary>
    public int MaxThreads { get; init; } = Environment.ProcessorCount;
}
