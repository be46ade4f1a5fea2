using System.Runtime.Intrinsics.X86;

namespace NExtLong.Index;

/// <summary>
/// A run of vectors stored as panels: full panels of 16 vectors interleaved by dimension, then a tail of
/// count % 16 vectors interleaved with stride <see cref="TailStride"/> (16 when padded in memory, the tail's own
/// length when stored compactly on disk). A vector's id is read from <see cref="Ids32"/> or <see cref="Ids64"/>
/// when present, else it is <see cref="BaseId"/> + its position.
/// </summary>
internal readonly unsafe struct PanelRun(byte* codes, int count, int tailStride, long baseId, uint* ids32 = null, long* ids64 = null)
{
    public byte* Codes { get; } = codes;

    public int Count { get; } = count;

    public int TailStride { get; } = tailStride;

    public long BaseId { get; } = baseId;

    public uint* Ids32 { get; } = ids32;

    public long* Ids64 { get; } = ids64;

    public long IdAt(int position)
        => Ids32 != null ? Ids32[position] : Ids64 != null ? Ids64[position] : BaseId + position;

    /// <summary>
    /// Asks for <paramref name="bytes"/> of the codes from <paramref name="offset"/> on, so a scan that reaches them
    /// later finds them in cache: the hardware prefetcher follows a list only once a few of its lines have missed.
    /// Nothing where the processor has no prefetch instruction .NET exposes (SSE).
    /// </summary>
    public void Prefetch(long offset, long bytes)
    {
        if (!Sse.IsSupported) return;
        for (long o = 0; o < bytes; o += 64) Sse.Prefetch0(Codes + offset + o);
    }
}
