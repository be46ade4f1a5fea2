using System.Runtime.Intrinsics;

namespace NExtLong.Index;

/// <summary>Panels of float32: exact vectors.</summary>
internal unsafe struct Fp32PanelCodec : IPanelCodec
{
    public static int ElementBytes => 4;

    public static Vector512<float> Load(byte* element) => Vector512.Load((float*)element);

    public static Vector256<float> LoadHalf(byte* element) => Vector256.Load((float*)element);
}
