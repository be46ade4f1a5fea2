namespace NExtLong.Retrieval;

/// <summary>The retrievers' names as options, manifests and config.json spell them.</summary>
public static class RetrieverKinds
{
    public static string Name(this RetrieverKind kind) => kind.ToString().ToLowerInvariant();

    public static RetrieverKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "dense" => RetrieverKind.Dense,
        "bm25" => RetrieverKind.Bm25,
        "hybrid" => RetrieverKind.Hybrid,
        _ => throw new ArgumentException($"unknown retriever '{name}'; known: dense, bm25, hybrid", nameof(name)),
    };

    public static bool NeedsVectors(this RetrieverKind kind) => kind != RetrieverKind.Bm25;

    public static bool NeedsLexical(this RetrieverKind kind) => kind != RetrieverKind.Dense;

    /// <summary>Whether an index built for <paramref name="built"/> can serve <paramref name="wanted"/> (a hybrid index serves all three).</summary>
    public static bool Serves(this RetrieverKind built, RetrieverKind wanted)
        => (!wanted.NeedsVectors() || built.NeedsVectors()) && (!wanted.NeedsLexical() || built.NeedsLexical());
}
