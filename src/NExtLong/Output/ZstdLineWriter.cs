using ZstdSharp;

namespace NExtLong.Output;

/// <summary>
/// Lines into one zstd file, written under ".tmp" and renamed by <see cref="Complete"/>, so an interrupted writer never
/// leaves a file that looks complete; disposing an incomplete writer deletes its temporary file.
/// </summary>
internal sealed class ZstdLineWriter : IDisposable
{
    private readonly string _path, _temp;
    private readonly FileStream _file;
    private readonly CompressionStream _zstd;
    private readonly EarlyWriteback _writeback;
    private bool _done;

    public ZstdLineWriter(string path, int level = 3)
    {
        _path = path;
        _temp = path + ".tmp";
        _file = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        _writeback = new EarlyWriteback(_file);
        _zstd = new CompressionStream(_file, level);
        // The frame's XXH64 content checksum lets any zstd reader (and `verify`) catch a damaged file.
        _zstd.SetParameter(ZstdSharp.Unsafe.ZSTD_cParameter.ZSTD_c_checksumFlag, 1);
    }

    /// <summary>Writes <paramref name="line"/> (without a line break) and "\n".</summary>
    public void WriteLine(ReadOnlySpan<byte> line)
    {
        _zstd.Write(line);
        _zstd.WriteByte((byte)'\n');
        _writeback.Written();
    }

    /// <summary>Writes the JSON line made in <paramref name="line"/> since its <see cref="JsonLines.Start"/>, and "\n".</summary>
    public void WriteLine(JsonLines line)
    {
        line.AppendTo(_zstd);
        _writeback.Written();
    }

    public void Complete()
    {
        _zstd.Dispose();
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        File.Move(_temp, _path, overwrite: true);
        _done = true;
    }

    public void Dispose()
    {
        if (_done) return;
        _zstd.Dispose();
        _file.Dispose();
        File.Delete(_temp);
    }
}
