using System.Buffers.Binary;
using System.IO.Hashing;

namespace NExtLong.Packing;

/// <summary>
/// A seeded hash of a sample's position: sorting by it gives a random order that depends only on the seed and
/// the inputs (not on .NET's Random, which may change between versions).
/// </summary>
internal static class SeededKey
{
    public static ulong Of(ulong seed, int input, long index, int pass = 0)
    {
        Span<byte> bytes = stackalloc byte[24];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, seed);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[8..], input);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[12..], pass);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[16..], index);
        return XxHash64.HashToUInt64(bytes, (long)seed);
    }
}
