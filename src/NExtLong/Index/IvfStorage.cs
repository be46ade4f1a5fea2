namespace NExtLong.Index;

/// <summary>How an IVF index stores each vector in its inverted lists.</summary>
internal enum IvfStorage
{
    /// <summary>float32, 4·d bytes: exact scores.</summary>
    Flat = 0,

    /// <summary>IEEE half of the residual to the list centroid, 2·d bytes.</summary>
    FP16 = 1,

    /// <summary>8-bit scalar quantization of the residual, per-dimension range, d bytes.</summary>
    SQ8 = 2,

    /// <summary>Product quantization of the residual (<see cref="ProductQuantizer"/>): m 8-bit sub-codes, m bytes.</summary>
    PQ = 3,
}
