namespace NExtLong.Retrieval;

/// <summary>The retrievers' names as options, manifests and config.json spell them.</summary>
public static class RetrieverKinds
{
    /// <summary>The kind's name: "dense", "bm25" or "hybrid".</summary>
    public static string Name(this RetrieverKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Parses "dense", "bm25" or "hybrid", ignoring case and surrounding white space.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is none of them.</exception>
    public static RetrieverKind Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "dense" => RetrieverKind.Dense,
        "bm25" => RetrieverKind.Bm25,
        "hybrid" => RetrieverKind.Hybrid,
        _ => throw new ArgumentException($"unknown retriever '{name}'; known: dense, bm25, hybrid", nameof(name)),
    };

    /// <summary>Whether the kind searches chunk vectors (dense, hybrid), so the index needs vectors and queries an embedder.</summary>
    public static bool NeedsVectors(this RetrieverKind kind) => kind != RetrieverKind.Bm25;

    /// <summary>Whether the kind searches the BM25 index (bm25, hybrid), so the index needs lexical.bm25.</summary>
    public static bool NeedsLexical(this RetrieverKind kind) => kind != RetrieverKind.Dense;

    /// <summary>Whether an index built for <paramref name="built"/> can serve <paramref name="wanted"/> (a hybrid index serves all three).</summary>
    public static bool Serves(this RetrieverKind built, RetrieverKind wanted)
        => (!wanted.NeedsVectors() || built.NeedsVectors()) && (!wanted.NeedsLexical() || built.NeedsLexical());
}
