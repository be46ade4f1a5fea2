namespace NExtLong.Retrieval;

/// <summary>
/// The BM25 settings a search applies rather than the index stores: k1, b, the query's term count and minimum
/// document frequency. The lexical index keeps lengths and postings only, so these change no index file; a synthesis
/// may override what the index recorded (null keeps it), and its config.json records the values used.
/// </summary>
public sealed record Bm25Scoring
{
    /// <summary>BM25's k1; null: the index's. In (0, 100].</summary>
    public float? K1 { get; init; }

    /// <summary>BM25's b; null: the index's. In [0, 1].</summary>
    public float? B { get; init; }

    /// <summary>Terms kept from a meta-chunk's text (MoreLikeThis's MaxQueryTerms); null: the index's. 1 to <see cref="Bm25Settings.MaxQueryTerms"/>.</summary>
    public int? QueryTerms { get; init; }

    /// <summary>Terms in fewer chunks are left out of a query; null: the index's. At least 1.</summary>
    public int? MinDocFreq { get; init; }

    /// <summary>Whether any setting is given (overrides the index's).</summary>
    public bool Any => K1 is not null || B is not null || QueryTerms is not null || MinDocFreq is not null;

    /// <summary><paramref name="built"/> (the index's settings) with the given ones in place of its own.</summary>
    public Bm25Settings Apply(Bm25Settings built) => built with
    {
        K1 = K1 ?? built.K1,
        B = B ?? built.B,
        QueryTerms = QueryTerms ?? built.QueryTerms,
        MinDocFreq = MinDocFreq ?? built.MinDocFreq,
    };

    /// <summary>Throws an <see cref="OptionValidationException"/> for a given setting outside its range (those of <see cref="Bm25Settings"/>).</summary>
    public void Validate() => Apply(new Bm25Settings()).Validate();
}
