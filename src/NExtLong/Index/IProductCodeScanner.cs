namespace NExtLong.Index;

/// <summary>
/// Scores lists of product-quantized codes for one query at a time: <see cref="ProductCodeScanner"/> for 8-bit
/// sub-codes, <see cref="FastScanCodeScanner"/> for 4-bit ones. One per thread; scanning allocates nothing, apart
/// from the fast scan's buffer of kept candidates growing to what a search needs (bounded).
/// </summary>
internal interface IProductCodeScanner : IDisposable
{
    /// <summary>Builds the look-up tables of <paramref name="query"/>; later scans score against them.</summary>
    void Prepare(ReadOnlySpan<float> query);

    /// <summary>
    /// Scores every code of <paramref name="run"/> as <paramref name="bias"/> + the sum of its table entries and
    /// offers those that could enter collectors[<paramref name="local"/>] (query queryBase + local for exclusions).
    /// </summary>
    void Scan(float bias, int local, in PanelRun run, TopKCollector[] collectors, int queryBase, SearchExclusions? exclusions);

    /// <summary>
    /// Offers collectors[<paramref name="local"/>] whatever the scans since <see cref="Prepare"/> (or the last call)
    /// left unscored; after it the collector holds what scoring every code scanned would have given. A scanner that
    /// scores as it scans leaves nothing.
    /// </summary>
    void Complete(int local, TopKCollector[] collectors);
}
