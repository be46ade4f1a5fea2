namespace NExtLong.External;

/// <summary>The stored type of an imported vector's values; every one is widened to float32.</summary>
internal enum VectorElement
{
    Float32,
    Float16,
    BFloat16,
}
