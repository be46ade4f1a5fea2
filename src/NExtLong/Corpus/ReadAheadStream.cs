using System.Buffers;
using System.Runtime.ExceptionServices;

namespace NExtLong.Corpus;

/// <summary>
/// Reads another stream on a thread of its own, a few blocks ahead of the consumer (<see cref="ReadAhead"/> over its
/// blocks), so that decompressing a corpus file (one gzip or zstd stream, which cannot be split) overlaps parsing its
/// lines instead of alternating with it. The bytes are the inner stream's, in order; the inner stream's failure (a
/// truncated or corrupt tail) is thrown by the read that reaches it, after every byte read before it, and by every
/// read after it, as reading the inner stream directly would. Memory is bounded by <see cref="Blocks"/> pooled blocks.
/// Disposing stops the reader thread and waits for it; the inner stream stays its owner's.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    private const int BlockBytes = 1 << 18;
    /// <summary>Blocks read ahead of the consumer at most.</summary>
    public const int Blocks = 8;

    private readonly IEnumerator<(byte[] Block, int Length)> _blocks;
    private byte[]? _block;
    private int _position, _length;
    private ExceptionDispatchInfo? _failure;
    private bool _ended, _disposed;

    public ReadAheadStream(Stream inner, string threadName)
        => _blocks = ReadAhead.Of(BlocksOf(inner), Blocks, threadName, CancellationToken.None).GetEnumerator();

    // What was read before a failure comes first, then the failure, as from the inner stream.
    private static IEnumerable<(byte[] Block, int Length)> BlocksOf(Stream inner)
    {
        while (true)
        {
            byte[] block = ArrayPool<byte>.Shared.Rent(BlockBytes);
            int filled = 0;
            ExceptionDispatchInfo? failure = null;
            try
            {
                for (int n; filled < BlockBytes && (n = inner.Read(block, filled, BlockBytes - filled)) > 0;)
                    filled += n;
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
            if (filled > 0) yield return (block, filled);
            else ArrayPool<byte>.Shared.Return(block);
            failure?.Throw();
            if (filled == 0) yield break;
        }
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        while (_position == _length)
        {
            _failure?.Throw();
            if (_ended) return 0;
            if (_block is not null) ArrayPool<byte>.Shared.Return(_block);
            _block = null;
            (_position, _length) = (0, 0);
            try
            {
                if (_blocks.MoveNext()) (_block, _length) = _blocks.Current;
                else _ended = true;
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
        }
        int n = Math.Min(buffer.Length, _length - _position);
        _block.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    protected override void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            // Stops the reader and waits for it; blocks still queued are left to the collector.
            _blocks.Dispose();
            if (_block is not null) ArrayPool<byte>.Shared.Return(_block);
            _block = null;
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => !_disposed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
