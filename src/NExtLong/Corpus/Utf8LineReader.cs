using System.Buffers;

namespace NExtLong.Corpus;

/// <summary>
/// Splits a byte stream into lines without decoding it: "\n" ends a line, a "\r" before it is dropped, a last line
/// needs no "\n", and a UTF-8 byte order mark at the start is skipped. One pooled buffer, grown only for lines longer
/// than it, so memory is bounded by the longest line.
/// </summary>
internal sealed class Utf8LineReader : IDisposable
{
    private const int BlockSize = 1 << 16;

    private readonly Stream _stream;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
    private int _start;
    private int _end;
    // Bytes after _start already known to hold no '\n', so a long line is not searched again after each read.
    private int _searched;
    private bool _endOfStream;
    private bool _atStart = true;
    private int _lineStart;
    private int _lineLength;

    public Utf8LineReader(Stream stream) => _stream = stream;

    /// <summary>1-based number of the line <see cref="Line"/> holds; before the first line, 0.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The current line, without its line break; valid until the next <see cref="ReadLine"/>.</summary>
    public ReadOnlySpan<byte> Line => _buffer.AsSpan(_lineStart, _lineLength);

    /// <summary><see cref="Line"/> as memory, for callers that hand it on; valid until the next <see cref="ReadLine"/>.</summary>
    public ReadOnlyMemory<byte> LineMemory => _buffer.AsMemory(_lineStart, _lineLength);

    /// <summary>Moves to the next line; false at the end of the stream.</summary>
    public bool ReadLine()
    {
        while (true)
        {
            if (_atStart)
            {
                if (_end - _start < 3 && !_endOfStream)
                {
                    Fill();
                    continue;
                }
                if (_buffer.AsSpan(_start, _end - _start).StartsWith("\uFEFF"u8))
                    _start += 3;
                _atStart = false;
            }

            int newline = _buffer.AsSpan(_start + _searched, _end - _start - _searched).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int length = _searched + newline;
                SetLine(length);
                _start += length + 1;
                _searched = 0;
                return true;
            }
            _searched = _end - _start;
            if (_endOfStream)
            {
                if (_end == _start)
                    return false;
                SetLine(_end - _start);
                _start = _end;
                _searched = 0;
                return true;
            }
            Fill();
        }
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = [];
    }

    private void SetLine(int length)
    {
        _lineStart = _start;
        _lineLength = length > 0 && _buffer[_start + length - 1] == (byte)'\r' ? length - 1 : length;
        LineNumber++;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length)
        {
            byte[] larger = ArrayPool<byte>.Shared.Rent(_buffer.Length * 2);
            _buffer.AsSpan(0, _end).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }
        int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (read == 0)
            _endOfStream = true;
        _end += read;
    }
}
