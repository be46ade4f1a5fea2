namespace NExtLong.Index;

/// <summary>Row-major float vectors, read in blocks of at most <see cref="BlockRows"/> rows that never straddle storage segments.</summary>
internal abstract class VectorRows : IDisposable
{
    /// <summary>Rows per scan block: 4096 × 4·d bytes stays within L2 for the dimensions we use while amortising loop overhead.</summary>
    public const int BlockRows = 4096;

    protected VectorRows(int dimension) => Dimension = dimension;

    public int Dimension { get; }

    public abstract long Count { get; }

    /// <summary>Rows [start, start+rows), where start is a multiple of <see cref="BlockRows"/> and rows ≤ BlockRows.</summary>
    public abstract ReadOnlySpan<float> Block(long start, int rows);

    public virtual void Dispose() { }
}

/// <summary>Growable in-memory rows, stored in fixed segments so that adding never copies what is already there.</summary>
internal sealed class ManagedVectorRows(int dimension) : VectorRows(dimension)
{
    private readonly List<float[]> _segments = [];
    private long _count;

    public override long Count => _count;

    public void Append(ReadOnlySpan<float> vectors)
    {
        int d = Dimension;
        while (!vectors.IsEmpty)
        {
            int inSegment = (int)(_count % BlockRows);
            if (inSegment == 0) _segments.Add(new float[BlockRows * d]);
            int rows = Math.Min(BlockRows - inSegment, vectors.Length / d);
            vectors[..(rows * d)].CopyTo(_segments[^1].AsSpan(inSegment * d));
            vectors = vectors[(rows * d)..];
            _count += rows;
        }
    }

    public override ReadOnlySpan<float> Block(long start, int rows)
        => _segments[(int)(start / BlockRows)].AsSpan(0, rows * Dimension);
}
