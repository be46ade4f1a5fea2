using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace NExtLong.Corpus;

/// <summary>
/// Decompresses a gzip file (RFC 1952), several concatenated members included, and checks every member's CRC-32 and
/// size. Unlike <see cref="GZipStream"/>, which ends quietly where a file was cut short, this throws
/// <see cref="InvalidDataException"/> when the data ends early, so a truncated .jsonl.gz is noticed.
/// </summary>
internal sealed class GzipDecompressionStream : Stream
{
    private const byte FlagHeaderCrc = 0x02;
    private const byte FlagExtra = 0x04;
    private const byte FlagName = 0x08;
    private const byte FlagComment = 0x10;

    private readonly GzipInputBuffer _input;
    private readonly Crc32 _crc = new();
    private DeflateStream? _member;
    private uint _memberLength;
    private bool _finished;

    public GzipDecompressionStream(Stream compressed) => _input = new GzipInputBuffer(compressed);

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty)
            return 0;
        while (!_finished)
        {
            if (_member is null)
            {
                StartMember();
                continue;
            }
            int read = _member.Read(buffer);
            if (read > 0)
            {
                _crc.Append(buffer[..read]);
                _memberLength += (uint)read;
                return read;
            }
            EndMember();
        }
        return 0;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _member?.Dispose();
            _input.Dispose();
        }
        base.Dispose(disposing);
    }

    private void StartMember()
    {
        if (Next() != 0x1f || Next() != 0x8b || Next() != 8)
            throw new InvalidDataException("not a gzip member (bad magic bytes or compression method)");
        int flags = Next();
        for (int i = 0; i < 6; i++)
            Next(); // modification time, extra flags, operating system
        if ((flags & FlagExtra) != 0)
        {
            int length = Next() | (Next() << 8);
            for (int i = 0; i < length; i++)
                Next();
        }
        if ((flags & FlagName) != 0)
            while (Next() != 0) { }
        if ((flags & FlagComment) != 0)
            while (Next() != 0) { }
        if ((flags & FlagHeaderCrc) != 0)
        {
            Next();
            Next();
        }
        _input.MarkHanded();
        _member = new DeflateStream(_input, CompressionMode.Decompress, leaveOpen: true);
        _crc.Reset();
        _memberLength = 0;
    }

    private void EndMember()
    {
        _member!.Dispose();
        _member = null;
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.GetCurrentHashAsUInt32());
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], _memberLength);
        if (!_input.SkipTrailer(trailer))
            throw new InvalidDataException("the gzip data ends early or fails its CRC-32 check (truncated or corrupt file)");
        _finished = _input.IsAtEnd();
    }

    private byte Next() => _input.ReadByte() is int b and >= 0
        ? (byte)b
        : throw new InvalidDataException("the gzip data ends inside a member header (truncated file)");
}
