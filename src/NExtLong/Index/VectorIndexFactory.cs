namespace NExtLong.Index;

/// <summary>Builds an empty index from a short spec string, as FAISS's index_factory does.</summary>
public static class VectorIndexFactory
{
    public static IVectorIndex Create(string spec, int dimension) => spec.Trim() switch
    {
        "Flat" or "flat" => new FlatIndex(dimension),
        _ => throw new ArgumentException($"unknown index spec '{spec}'; known: Flat", nameof(spec)),
    };
}
