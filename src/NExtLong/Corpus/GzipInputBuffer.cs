using System.Buffers;

namespace NExtLong.Corpus;

/// <summary>
/// The compressed bytes of a gzip file, handed to a <see cref="System.IO.Compression.DeflateStream"/> as a stream while
/// keeping the last block handed out: a deflate stream reads ahead and does not say where its data ended, but its
/// trailer lies somewhere in that block, so <see cref="GzipDecompressionStream"/> can find it there.
/// </summary>
internal sealed class GzipInputBuffer : Stream
{
    private const int BlockSize = 1 << 16;

    private readonly Stream _source;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
    private int _start;
    private int _end;
    // Where the block last handed to the deflate stream began.
    private int _handedStart;

    public GzipInputBuffer(Stream source) => _source = source;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> destination)
    {
        if (_start == _end && !Fill(_end))
            return 0;
        int n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _handedStart = _start;
        _start += n;
        return n;
    }

    /// <summary>The next byte, or -1 at the end of the file.</summary>
    public override int ReadByte() => _start < _end || Fill(_start) ? _buffer[_start++] : -1;

    /// <summary>Whether the file has no bytes left (reads ahead to find out).</summary>
    public bool IsAtEnd() => _start == _end && !Fill(_start);

    /// <summary>
    /// After the deflate stream of a member ended: finds <paramref name="trailer"/> (the member's CRC-32 and size) right
    /// after the deflate data, within the block last handed out, and moves past it. False when it is not there, which
    /// means the file was cut short or the data is corrupt.
    /// </summary>
    public bool SkipTrailer(ReadOnlySpan<byte> trailer)
    {
        // The deflate data ended inside the last block (it asks for a block only when it has used up the one before),
        // so the trailer starts at or before _start and may reach past the bytes read so far.
        while (_end - _start < trailer.Length && Fill(_handedStart))
        {
        }
        int found = _buffer.AsSpan(_handedStart, _end - _handedStart).IndexOf(trailer);
        if (found < 0 || _handedStart + found > _start)
            return false;
        _start = _handedStart + found + trailer.Length;
        _handedStart = _start;
        return true;
    }

    /// <summary>Marks everything before the current position as consumed (after a member header).</summary>
    public void MarkHanded() => _handedStart = _start;

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
        base.Dispose(disposing);
    }

    /// <summary>Reads more of the file, keeping the bytes from <paramref name="keepFrom"/> on; false at its end.</summary>
    private bool Fill(int keepFrom)
    {
        if (keepFrom > 0)
        {
            _buffer.AsSpan(keepFrom, _end - keepFrom).CopyTo(_buffer);
            _end -= keepFrom;
            _start -= keepFrom;
            _handedStart = Math.Max(0, _handedStart - keepFrom);
        }
        if (_end == _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        int read = _source.Read(_buffer, _end, _buffer.Length - _end);
        _end += read;
        return read > 0;
    }
}
