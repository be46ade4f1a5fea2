using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace NExtLong.Corpus;

/// <summary>
/// Reads another stream on a thread of its own, a few blocks ahead of the consumer, so that decompressing a corpus
/// file (one gzip or zstd stream, which cannot be split) overlaps parsing its lines instead of alternating with it.
/// The bytes are the inner stream's, in order; the inner stream's failure (a truncated or corrupt tail) is thrown by
/// the read that reaches it, after every byte read before it, as reading the inner stream directly would. Memory is
/// bounded by <see cref="Blocks"/> pooled blocks. Disposing stops the reader thread and waits for it; the inner
/// stream stays its owner's.
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    private const int BlockBytes = 1 << 18;
    /// <summary>Blocks read ahead of the consumer at most.</summary>
    public const int Blocks = 8;

    private readonly Stream _inner;
    private readonly BlockingCollection<(byte[]? Block, int Length, ExceptionDispatchInfo? Failure)> _queue = new(Blocks);
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _reader;
    private byte[]? _block;
    private int _position, _length;
    private ExceptionDispatchInfo? _end;
    private bool _ended, _disposed;

    public ReadAheadStream(Stream inner, string threadName)
    {
        _inner = inner;
        _reader = new Thread(ReadBlocks) { IsBackground = true, Name = threadName };
        _reader.Start();
    }

    private void ReadBlocks()
    {
        try
        {
            while (true)
            {
                byte[] block = ArrayPool<byte>.Shared.Rent(BlockBytes);
                int filled = 0;
                try
                {
                    for (int n; filled < BlockBytes && (n = _inner.Read(block, filled, BlockBytes - filled)) > 0;)
                        filled += n;
                }
                catch (Exception e)
                {
                    // What was read before the failure comes first, then the failure, as from the inner stream.
                    if (filled > 0) _queue.Add((block, filled, null), _stop.Token);
                    else ArrayPool<byte>.Shared.Return(block);
                    _queue.Add((null, 0, ExceptionDispatchInfo.Capture(e)), _stop.Token);
                    return;
                }
                if (filled == 0)
                {
                    ArrayPool<byte>.Shared.Return(block);
                    _queue.Add((null, 0, null), _stop.Token);
                    return;
                }
                _queue.Add((block, filled, null), _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed: the consumer has stopped reading.
        }
    }

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty) return 0;
        while (_position == _length)
        {
            if (_ended)
            {
                _end?.Throw();
                return 0;
            }
            if (_block is not null) ArrayPool<byte>.Shared.Return(_block);
            (_block, _length, _end) = _queue.Take();
            _position = 0;
            if (_block is null) _ended = true;
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
            _stop.Cancel();
            _reader.Join();
            while (_queue.TryTake(out var item))
                if (item.Block is not null) ArrayPool<byte>.Shared.Return(item.Block);
            if (_block is not null) ArrayPool<byte>.Shared.Return(_block);
            _block = null;
            _queue.Dispose();
            _stop.Dispose();
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
