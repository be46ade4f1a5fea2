using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace NExtLong.External;

/// <summary>
/// A rank's chunks of one input file, in order, for the merge to write into shards: per document, its id and its
/// chunk texts, each as an int32 little-endian byte count and UTF-8 bytes. Written as .tmp and renamed when complete.
/// </summary>
internal static class ChunkRunFile
{
    public sealed class Writer : IDisposable
    {
        private readonly string _path;
        private readonly BufferedStream _stream;
        private bool _completed;

        public Writer(string path)
        {
            _path = path;
            _stream = new BufferedStream(new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None), 1 << 20);
        }

        public void AddDocument(string id, int chunks)
        {
            WriteString(id);
            Span<byte> count = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(count, chunks);
            _stream.Write(count);
        }

        public void AddChunk(ReadOnlySpan<char> text) => WriteString(text);

        private void WriteString(ReadOnlySpan<char> text)
        {
            int bytes = Encoding.UTF8.GetByteCount(text);
            var buffer = ArrayPool<byte>.Shared.Rent(bytes + 4);
            BinaryPrimitives.WriteInt32LittleEndian(buffer, bytes);
            Encoding.UTF8.GetBytes(text, buffer.AsSpan(4));
            _stream.Write(buffer, 0, bytes + 4);
            ArrayPool<byte>.Shared.Return(buffer);
        }

        public void Complete()
        {
            _stream.Flush();
            ((FileStream)_stream.UnderlyingStream).Flush(flushToDisk: true);
            _stream.Dispose();
            File.Move(_path + ".tmp", _path, overwrite: true);
            _completed = true;
        }

        public void Dispose()
        {
            if (_completed) return;
            _stream.Dispose();
            File.Delete(_path + ".tmp");
        }
    }

    /// <summary>Every chunk of the file as (document id, text), in order.</summary>
    public static IEnumerable<(string DocumentId, string Text)> Read(string path, CancellationToken ct)
    {
        using var stream = new BufferedStream(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan), 1 << 20);
        byte[] buffer = new byte[4096];
        while (TryReadString(stream, ref buffer, path) is { } id)
        {
            ct.ThrowIfCancellationRequested();
            int chunks = ReadInt(stream, path);
            for (int c = 0; c < chunks; c++)
                yield return (id, TryReadString(stream, ref buffer, path) ?? throw Truncated(path));
        }
    }

    private static string? TryReadString(Stream stream, ref byte[] buffer, string path)
    {
        Span<byte> head = stackalloc byte[4];
        int got = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (got == 0) return null;
        if (got < 4) throw Truncated(path);
        int bytes = BinaryPrimitives.ReadInt32LittleEndian(head);
        if (bytes < 0) throw Truncated(path);
        if (buffer.Length < bytes) buffer = new byte[Math.Max(bytes, buffer.Length * 2)];
        if (stream.ReadAtLeast(buffer.AsSpan(0, bytes), bytes, throwOnEndOfStream: false) < bytes) throw Truncated(path);
        return Encoding.UTF8.GetString(buffer, 0, bytes);
    }

    private static int ReadInt(Stream stream, string path)
    {
        Span<byte> head = stackalloc byte[4];
        if (stream.ReadAtLeast(head, 4, throwOnEndOfStream: false) < 4) throw Truncated(path);
        return BinaryPrimitives.ReadInt32LittleEndian(head);
    }

    private static InvalidDataException Truncated(string path) => new($"{path}: a rank's chunk file is truncated or corrupt; delete it and its completion marker and rerun that rank");
}
