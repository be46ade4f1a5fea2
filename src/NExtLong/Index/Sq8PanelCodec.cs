using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NExtLong.Index;

/// <summary>Panels of 8-bit scalar-quantized codes, decoded to their integer value; the per-dimension scale and offset live in the query transform (<see cref="IvfCodec"/>).</summary>
internal unsafe struct Sq8PanelCodec : IPanelCodec
{
    public static int ElementBytes => 1;

    public static Vector512<float> Load(byte* element)
    {
        var codes = Vector128.Load(element);
        var wide = Avx512F.IsSupported
            ? Avx512F.ConvertToVector512Int32(codes)
            : Vector512.WidenLower(Vector512.WidenLower(Vector512.Create(Vector256.Create(codes, Vector128<byte>.Zero), Vector256<byte>.Zero))).AsInt32();
        return Vector512.ConvertToSingle(wide);
    }

    public static Vector256<float> LoadHalf(byte* element)
    {
        var wide = Avx2.IsSupported
            ? Avx2.ConvertToVector256Int32(element)
            : Vector256.WidenLower(Vector256.WidenLower(Vector256.Create(Vector128.CreateScalar(*(ulong*)element).AsByte(), Vector128<byte>.Zero))).AsInt32();
        return Vector256.ConvertToSingle(wide);
    }
}
