using System.Numerics;

namespace NExtLong.Corpus;

/// <summary>
/// Mixes several corpus sources by weight, as the paper mixes FineWeb-Edu and Cosmopedia v2. Everything here is
/// deterministic: the same sources, weights and files give the same documents in the same order; nothing is random.
/// </summary>
internal sealed class CorpusMixture
{
    public CorpusMixture(IReadOnlyList<CorpusSource> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
            throw new ArgumentException("a mixture needs at least one source", nameof(sources));
        string? duplicate = sources.GroupBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
        if (duplicate is not null)
            throw new ArgumentException($"two sources are named '{duplicate}'", nameof(sources));
        Sources = sources.ToArray();
        Weights = Sources.Select(s => s.Weight).ToArray();
    }

    public IReadOnlyList<CorpusSource> Sources { get; }

    /// <summary>The sources' weights, in source order.</summary>
    public IReadOnlyList<double> Weights { get; }

    /// <summary>How many of <paramref name="total"/> documents each source gives: see <see cref="Apportion(IReadOnlyList{double}, long)"/>.</summary>
    public long[] Apportion(long total) => Apportion(Weights, total);

    /// <summary>
    /// Splits <paramref name="total"/> by the largest remainder method: each share is the whole part of
    /// total·w/Σw, and the units left over go to the largest fractional parts, ties to the earlier source. The
    /// arithmetic is exact (weights are taken as the binary fractions they are), so the shares always sum to the total
    /// and do not depend on rounding.
    /// </summary>
    public static long[] Apportion(IReadOnlyList<double> weights, long total)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        BigInteger[] exact = ExactWeights(weights);
        BigInteger sum = exact.Aggregate(BigInteger.Zero, (a, b) => a + b);
        var shares = new long[exact.Length];
        var remainders = new BigInteger[exact.Length];
        long given = 0;
        for (int i = 0; i < exact.Length; i++)
        {
            shares[i] = (long)BigInteger.DivRem(total * exact[i], sum, out remainders[i]);
            given += shares[i];
        }
        int[] byRemainder = Enumerable.Range(0, exact.Length)
            .OrderByDescending(i => remainders[i])
            .ThenBy(i => i)
            .ToArray();
        for (long k = 0; k < total - given; k++)
            shares[byRemainder[k]]++;
        return shares;
    }

    /// <summary>
    /// Interleaves <paramref name="streams"/> by weight with stride scheduling: source i's next pass is (taken_i + 1)/w_i,
    /// the smallest pass goes next, ties to the earlier source, so every prefix of the output holds each source close to
    /// its share. A source that runs out drops out and the others go on in their proportions.
    /// </summary>
    public static IEnumerable<T> Interleave<T>(IReadOnlyList<IEnumerable<T>> streams, IReadOnlyList<double> weights)
    {
        ArgumentNullException.ThrowIfNull(streams);
        ArgumentNullException.ThrowIfNull(weights);
        if (streams.Count != weights.Count)
            throw new ArgumentException($"{streams.Count} streams but {weights.Count} weights", nameof(weights));
        if (weights.Any(w => !double.IsFinite(w) || w <= 0))
            throw new ArgumentOutOfRangeException(nameof(weights), "weights must be positive and finite");
        return InterleaveIterator(streams, weights);
    }

    /// <summary>
    /// Streams the documents of all sources, interleaved by weight (<see cref="Interleave{T}"/>). With
    /// <paramref name="total"/>, source i gives at most its <see cref="Apportion(long)"/> share; a source with fewer
    /// documents than its share gives what it has, and the others do not make up for it.
    /// </summary>
    public IEnumerable<CorpusDocument> Read(
        CorpusReadOptions options, CorpusReadReport report, long? total = null, CancellationToken ct = default)
    {
        long[]? shares = total is long n ? Apportion(n) : null;
        var streams = new IEnumerable<CorpusDocument>[Sources.Count];
        for (int i = 0; i < streams.Length; i++)
        {
            IEnumerable<CorpusDocument> documents = CorpusReader.Read(Sources[i], options, report, ct);
            streams[i] = shares is null ? documents : Take(documents, shares[i]);
        }
        return Interleave(streams, Weights);
    }

    private static IEnumerable<T> InterleaveIterator<T>(IReadOnlyList<IEnumerable<T>> streams, IReadOnlyList<double> weights)
    {
        var enumerators = new IEnumerator<T>?[streams.Count];
        var taken = new long[streams.Count];
        try
        {
            for (int i = 0; i < streams.Count; i++)
                enumerators[i] = streams[i].GetEnumerator();
            while (true)
            {
                int next = -1;
                double nextPass = double.PositiveInfinity;
                for (int i = 0; i < enumerators.Length; i++)
                {
                    if (enumerators[i] is null)
                        continue;
                    // Computed afresh rather than accumulated, so rounding does not drift over millions of picks.
                    double pass = (taken[i] + 1) / weights[i];
                    if (pass < nextPass)
                    {
                        next = i;
                        nextPass = pass;
                    }
                }
                if (next < 0)
                    yield break;
                if (enumerators[next]!.MoveNext())
                {
                    taken[next]++;
                    yield return enumerators[next]!.Current;
                }
                else
                {
                    enumerators[next]!.Dispose();
                    enumerators[next] = null;
                }
            }
        }
        finally
        {
            foreach (IEnumerator<T>? enumerator in enumerators)
                enumerator?.Dispose();
        }
    }

    private static IEnumerable<T> Take<T>(IEnumerable<T> items, long count)
    {
        if (count <= 0)
            yield break;
        long taken = 0;
        foreach (T item in items)
        {
            yield return item;
            if (++taken == count)
                yield break;
        }
    }

    /// <summary>The weights as integers in exact proportion: each double is m·2^e, scaled by the smallest e.</summary>
    private static BigInteger[] ExactWeights(IReadOnlyList<double> weights)
    {
        if (weights.Count == 0)
            throw new ArgumentException("no weights", nameof(weights));
        var mantissas = new long[weights.Count];
        var exponents = new int[weights.Count];
        for (int i = 0; i < weights.Count; i++)
        {
            double w = weights[i];
            if (!double.IsFinite(w) || w <= 0)
                throw new ArgumentOutOfRangeException(nameof(weights), w, "weights must be positive and finite");
            long bits = BitConverter.DoubleToInt64Bits(w);
            int biased = (int)((bits >> 52) & 0x7FF);
            long fraction = bits & 0xF_FFFF_FFFF_FFFFL;
            // Normal numbers have an implicit leading 1; subnormals (biased exponent 0) do not.
            mantissas[i] = biased == 0 ? fraction : fraction | (1L << 52);
            exponents[i] = (biased == 0 ? 1 : biased) - 1075;
        }
        int smallest = exponents.Min();
        return mantissas.Select((m, i) => new BigInteger(m) << (exponents[i] - smallest)).ToArray();
    }
}
