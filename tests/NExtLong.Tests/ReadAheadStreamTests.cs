using NExtLong.Corpus;

namespace NExtLong.Tests;

/// <summary>ReadAheadStream: the inner stream's bytes in order, its failure after every byte before it, bounded reading ahead, and a prompt stop.</summary>
public class ReadAheadStreamTests
{
    /// <summary>Gives out its bytes in reads of a random size, fails after <c>failAfter</c> bytes, and counts what was read from it.</summary>
    private sealed class Source(byte[] data, int failAfter = -1) : Stream
    {
        private readonly Random _random = new(7);
        public int Consumed;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (failAfter >= 0 && Consumed >= failAfter) throw new InvalidDataException("corrupt gzip block");
            int limit = failAfter >= 0 ? failAfter : data.Length;
            int n = Math.Min(Math.Min(count, _random.Next(1, 70_000)), limit - Consumed);
            Array.Copy(data, Consumed, buffer, offset, n);
            Consumed += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => Consumed; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        new Random(3).NextBytes(data);
        return data;
    }

    private static List<byte> ReadAll(Stream stream, Random random)
    {
        var read = new List<byte>();
        var buffer = new byte[100_000];
        for (int n; (n = stream.Read(buffer, 0, random.Next(1, buffer.Length))) > 0;)
            read.AddRange(buffer.AsSpan(0, n).ToArray());
        return read;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(262_144)]
    [InlineData(3_000_017)]
    public void The_bytes_are_the_inner_streams_in_order(int length)
    {
        byte[] data = Data(length);
        using var ahead = new ReadAheadStream(new Source(data), "test");
        Assert.Equal(data, ReadAll(ahead, new Random(length)));
        Assert.Equal(0, ahead.Read(new byte[10], 0, 10));
    }

    [Fact]
    public void The_inner_failure_comes_after_every_byte_read_before_it()
    {
        byte[] data = Data(2_000_000);
        using var ahead = new ReadAheadStream(new Source(data, failAfter: 1_234_567), "test");
        var read = new List<byte>();
        var buffer = new byte[50_000];
        var error = Assert.Throws<InvalidDataException>(() =>
        {
            for (int n; (n = ahead.Read(buffer, 0, buffer.Length)) > 0;)
                read.AddRange(buffer.AsSpan(0, n).ToArray());
        });
        Assert.Equal("corrupt gzip block", error.Message);
        Assert.Equal(data[..1_234_567], read);
        // It stays failed, as a broken decompressor does.
        Assert.Throws<InvalidDataException>(() => ahead.Read(buffer, 0, buffer.Length));
    }

    [Fact]
    public void It_reads_a_bounded_distance_ahead_and_disposing_stops_it()
    {
        var source = new Source(Data(64 << 20));
        var ahead = new ReadAheadStream(source, "test");
        Assert.Equal(1000, ahead.Read(new byte[1000], 0, 1000));
        Thread.Sleep(300);
        // The block being consumed, the queued blocks and the one being filled, at 256 KiB each.
        Assert.InRange(source.Consumed, 1000, (ReadAheadStream.Blocks + 2) * (256 << 10));
        ahead.Dispose();
        int stoppedAt = source.Consumed;
        Thread.Sleep(100);
        Assert.Equal(stoppedAt, source.Consumed);
        Assert.Throws<ObjectDisposedException>(() => ahead.Read(new byte[10], 0, 10));
    }
}
