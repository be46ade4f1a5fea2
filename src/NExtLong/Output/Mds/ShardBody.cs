using System.Runtime.InteropServices;

namespace NExtLong.Output.Mds;

/// <summary>
/// The samples of the MDS shard being filled, in native segments of 4 MiB that are reused from shard to shard,
/// 2 MiB-aligned and marked for transparent huge pages where Linux offers them (THP "madvise" or "always").
/// </summary>
/// <remarks>
/// A shard used to be held in one managed array grown by doubling: its bytes were copied at every doubling, and
/// every array was faulted in 4 KiB at a time. For 128 × 65,536 tokens (one 33 MB shard) that was 16,000 page faults,
/// a third of a synthesis run's page faults and an eighth of its MDS writer thread's time. Segments are written once,
/// and faulted 2 MiB at a time where the kernel gives huge pages; the shard's bytes are the same.
/// </remarks>
internal sealed unsafe class ShardBody : IDisposable
{
    private const int SegmentBytes = 4 << 20;
    private const nuint HugePageBytes = 2 << 20;

    private readonly List<Segment> _segments = [];
    private int _current = -1;

    private sealed class Segment(byte* start, int capacity)
    {
        public readonly byte* Start = start;
        public readonly int Capacity = capacity;
        public int Used;
    }

    /// <summary>Segments in use; <see cref="Part"/> gives each one's bytes, in order.</summary>
    public int Parts => _current + 1;

    /// <summary>The bytes of segment <paramref name="i"/> (below <see cref="Parts"/>).</summary>
    public ReadOnlySpan<byte> Part(int i) => new(_segments[i].Start, _segments[i].Used);

    /// <summary>Room for <paramref name="length"/> more bytes, contiguous (a sample is never split).</summary>
    public Span<byte> Append(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (_current < 0 || _segments[_current].Capacity - _segments[_current].Used < length)
            Next(length);
        var segment = _segments[_current];
        var room = new Span<byte>(segment.Start + segment.Used, length);
        segment.Used += length;
        return room;
    }

    /// <summary>Empties the body; its segments stay for the next shard.</summary>
    public void Clear()
    {
        foreach (var segment in _segments) segment.Used = 0;
        _current = -1;
    }

    public void Dispose()
    {
        foreach (var segment in _segments) NativeMemory.AlignedFree(segment.Start);
        _segments.Clear();
        _current = -1;
    }

    // Moves to the next segment, making one (or a larger one, for a sample above 4 MiB) where none will do.
    private void Next(int length)
    {
        _current++;
        if (_current < _segments.Count && _segments[_current].Capacity >= length) return;
        int capacity = (int)Math.Min(Array.MaxLength, Math.Max(SegmentBytes, ((long)length + (long)HugePageBytes - 1) & ~((long)HugePageBytes - 1)));
        if (capacity < length) throw new InvalidOperationException($"a sample of {length:N0} bytes is too large to hold");
        var start = (byte*)NativeMemory.AlignedAlloc((nuint)capacity, HugePageBytes);
        // Where huge pages are off (or madvise is missing) the segment is faulted in 4 KiB pages.
        MemoryAdvice.Give(start, (nuint)capacity, MemoryAdvice.HugePage);
        var made = new Segment(start, capacity);
        if (_current < _segments.Count)
        {
            NativeMemory.AlignedFree(_segments[_current].Start);
            _segments[_current] = made;
        }
        else
        {
            _segments.Add(made);
        }
    }
}
