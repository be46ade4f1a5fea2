using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NExtLong.Index;

/// <summary>
/// Panels of IEEE half floats. Decoding moves the half's bits into float position without rebiasing the exponent,
/// which yields exactly half × 2^-112 (normal and subnormal alike) in three instructions; queries are scaled by
/// 2^112 beforehand (<see cref="IvfCodec"/>), and since both factors are powers of two each product is exactly
/// query × half, so scores equal those of decoding to float first.
/// </summary>
internal unsafe struct Fp16PanelCodec : IPanelCodec
{
    public const float QueryScale = 5.1922968585348276e33f; // 2^112

    public static int ElementBytes => 2;

    public static Vector512<float> Load(byte* element)
    {
        var halves = Vector256.Load((short*)element);
        var wide = Avx512F.IsSupported
            ? Avx512F.ConvertToVector512Int32(halves)
            : Vector512.WidenLower(Vector512.Create(halves, Vector256<short>.Zero));
        // Sign extension copied the sign into bits 28..31; keep it only in bit 31.
        return ((wide << 13) & Vector512.Create(unchecked((int)0x8FFFFFFF))).AsSingle();
    }

    public static Vector256<float> LoadHalf(byte* element)
    {
        var halves = Vector128.Load((short*)element);
        var wide = Avx2.IsSupported ? Avx2.ConvertToVector256Int32(halves) : Vector256.WidenLower(Vector256.Create(halves, Vector128<short>.Zero));
        return ((wide << 13) & Vector256.Create(unchecked((int)0x8FFFFFFF))).AsSingle();
    }
}
