using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace NExtLong.Inspection;

/// <summary>
/// Finds token ids outside [0, vocabulary) in stored little-endian values, vectorized and without copying: the
/// bytes are viewed as the dtype's integers (every .NET 10 platform is little-endian).
/// </summary>
internal static class TokenIds
{
    /// <summary>Ids must fit int32 when no vocabulary is known: every tokenizer and trainer reads them as such.</summary>
    public const long NoVocabulary = (long)int.MaxValue + 1;

    /// <summary>Position of the first id of <paramref name="dtype"/> in <paramref name="values"/> outside [0, <paramref name="limit"/>), or -1.</summary>
    public static int FirstOutside(string dtype, ReadOnlySpan<byte> values, long limit) => dtype switch
    {
        "uint8" => FirstOutside<byte>(values, limit),
        "int8" => FirstOutside<sbyte>(values, limit),
        "uint16" => FirstOutside<ushort>(values, limit),
        "int16" => FirstOutside<short>(values, limit),
        "uint32" => FirstOutside<uint>(values, limit),
        "int32" => FirstOutside<int>(values, limit),
        "uint64" => FirstOutside<ulong>(values, limit),
        "int64" => FirstOutside<long>(values, limit),
        _ => throw new InvalidDataException($"token ids stored as {dtype}, not integers"),
    };

    /// <summary>Value <paramref name="index"/> as text, for messages.</summary>
    public static string At(string dtype, ReadOnlySpan<byte> values, int index) => dtype switch
    {
        "uint8" => Format<byte>(values, index),
        "int8" => Format<sbyte>(values, index),
        "uint16" => Format<ushort>(values, index),
        "int16" => Format<short>(values, index),
        "uint32" => Format<uint>(values, index),
        "int32" => Format<int>(values, index),
        "uint64" => Format<ulong>(values, index),
        _ => Format<long>(values, index),
    };

    /// <summary>Value <paramref name="index"/> as an integer (ids that passed <see cref="FirstOutside"/> fit).</summary>
    public static long Get(string dtype, ReadOnlySpan<byte> values, int index) => dtype switch
    {
        "uint8" => values[index],
        "int8" => (sbyte)values[index],
        "uint16" => MemoryMarshal.Cast<byte, ushort>(values)[index],
        "int16" => MemoryMarshal.Cast<byte, short>(values)[index],
        "uint32" => MemoryMarshal.Cast<byte, uint>(values)[index],
        "int32" => MemoryMarshal.Cast<byte, int>(values)[index],
        "uint64" => (long)MemoryMarshal.Cast<byte, ulong>(values)[index],
        _ => MemoryMarshal.Cast<byte, long>(values)[index],
    };

    private static int FirstOutside<T>(ReadOnlySpan<byte> values, long limit) where T : unmanaged, INumber<T>
    {
        // Saturating: a vocabulary larger than the dtype's range leaves only negative values to find.
        T high = T.CreateSaturating(limit - 1);
        return MemoryMarshal.Cast<byte, T>(values).IndexOfAnyExceptInRange(T.Zero, high);
    }

    private static string Format<T>(ReadOnlySpan<byte> values, int index) where T : unmanaged, INumber<T> =>
        MemoryMarshal.Cast<byte, T>(values)[index].ToString("#,0", CultureInfo.InvariantCulture);
}
