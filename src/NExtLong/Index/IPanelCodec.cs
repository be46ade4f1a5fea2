using System.Runtime.Intrinsics;

namespace NExtLong.Index;

/// <summary>
/// How one dimension of a panel becomes 16 floats. A panel holds 16 vectors interleaved by dimension: the 16
/// elements of dimension j lie together, so one load feeds 16 inner products at once (see <see cref="PanelKernel"/>).
/// </summary>
internal unsafe interface IPanelCodec
{
    /// <summary>Bytes per stored element.</summary>
    static abstract int ElementBytes { get; }

    /// <summary>The 16 lanes of one dimension, starting at <paramref name="element"/>.</summary>
    static abstract Vector512<float> Load(byte* element);

    /// <summary>8 lanes of one dimension, starting at <paramref name="element"/>: half a panel, for 256-bit tiles.</summary>
    static abstract Vector256<float> LoadHalf(byte* element);
}
