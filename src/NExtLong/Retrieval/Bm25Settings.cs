namespace NExtLong.Retrieval;

/// <summary>
/// The lexical index's analyzer and BM25 parameters, recorded in the index manifest. Lucene's defaults (k1 = 1.2,
/// b = 0.75); a meta-chunk is queried by its <see cref="QueryTerms"/> most informative terms, as Lucene's MoreLikeThis
/// chooses them (tf × classic idf), which keeps a 2,048-character query to a bounded number of posting lists.
/// </summary>
public sealed record Bm25Settings
{
    /// <summary>BM25's term-frequency saturation k1: default 1.2 (Lucene's); finite and in (0, 100].</summary>
    public float K1 { get; init; } = 1.2f;

    /// <summary>BM25's length normalisation b: default 0.75 (Lucene's); in [0, 1], 0 ignoring chunk length.</summary>
    public float B { get; init; } = 0.75f;

    /// <summary>Terms kept from a query text (MoreLikeThis's MaxQueryTerms; Lucene's default is 25).</summary>
    public int QueryTerms { get; init; } = 32;

    /// <summary>
    /// Terms in fewer chunks are left out of a query (MoreLikeThis's MinDocFreq): a term of one chunk can only find
    /// that chunk, which is the meta-chunk's own copy when the meta-document is indexed.
    /// </summary>
    public int MinDocFreq { get; init; } = 2;

    /// <summary>Drop Lucene's 33 English stop words (StandardAnalyzer's STOP_WORDS_SET).</summary>
    public bool StopWords { get; init; } = true;

    /// <summary>Fold English plurals (Lucene's EnglishMinimalStemmer); off by default, as in StandardAnalyzer.</summary>
    public bool Stemming { get; init; }

    /// <summary>The largest <see cref="QueryTerms"/> accepted: 1,024.</summary>
    public const int MaxQueryTerms = 1024;

    /// <summary>The analyzer's name as the manifest records it.</summary>
    public string Analyzer => "words,lowercase" + (StopWords ? ",stop-en" : "") + (Stemming ? ",stem-en-minimal" : "");

    /// <summary>Throws an <see cref="OptionValidationException"/> for a setting outside its range (K1, B, QueryTerms 1–1,024, MinDocFreq ≥ 1).</summary>
    public void Validate()
    {
        OptionValidationException.InLeftOpen(nameof(K1), K1, 0, 100);
        if (!(B >= 0 && B <= 1)) throw OptionValidationException.OutOfRange(nameof(B), B, "[0, 1]");
        OptionValidationException.InRange(nameof(QueryTerms), QueryTerms, 1, MaxQueryTerms);
        OptionValidationException.AtLeast(nameof(MinDocFreq), MinDocFreq, 1);
    }
}
