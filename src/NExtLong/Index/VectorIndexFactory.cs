namespace NExtLong.Index;

/// <summary>
/// Builds an empty index from a short spec string, as FAISS's index_factory does: "Flat" (exact), or an IVF spec
/// such as "IVF4096,SQ8,RFlat" (grammar in <see cref="IvfSpec"/>).
/// </summary>
public static class VectorIndexFactory
{
    /// <summary>The validated canonical form of a spec, as an index folder's manifest records it: "Flat", or e.g. "IVF,SQ8,RFlat".</summary>
    /// <exception cref="ArgumentException"><paramref name="spec"/> is neither Flat nor a valid IVF spec.</exception>
    public static string Canonical(string spec)
    {
        string s = spec.Trim();
        if (s is "Flat" or "flat") return "Flat";
        if (!IvfSpec.IsIvf(s)) throw new ArgumentException($"unknown index spec '{spec}'; known: Flat, IVF[nlist],Flat|FP16|SQ8|PQm|PQmx4fs[r][,RFlat]", nameof(spec));
        return IvfSpec.Parse(s).ToString();
    }

    /// <summary>An empty, untrained index of the kind <paramref name="spec"/> names.</summary>
    /// <param name="spec">"Flat", or an IVF spec such as "IVF4096,SQ8,RFlat" (see <see cref="Canonical"/>).</param>
    /// <param name="dimension">Components per vector; at least 1.</param>
    /// <param name="expectedVectors">How many vectors the index will hold; needed only when an IVF spec leaves nlist open.</param>
    /// <exception cref="ArgumentException">The spec is unknown, or leaves nlist open and <paramref name="expectedVectors"/> is not positive.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dimension"/> is below 1.</exception>
    public static IVectorIndex Create(string spec, int dimension, long expectedVectors = 0)
    {
        string s = Canonical(spec);
        if (s == "Flat") return new FlatIndex(dimension);
        var ivf = IvfSpec.Parse(s);
        if (ivf.Nlist == 0 && expectedVectors <= 0)
            throw new ArgumentException($"index spec '{spec}' leaves nlist open; give the number of vectors it is for, or write e.g. IVF4096,{ivf.Storage}", nameof(spec));
        return new IvfIndex(dimension, ivf.Resolve(Math.Max(1, expectedVectors)));
    }
}
