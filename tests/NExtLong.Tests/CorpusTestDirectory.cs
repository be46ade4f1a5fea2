using System.IO.Compression;
using System.Text;
using ZstdSharp;

namespace NExtLong.Tests;

/// <summary>A temporary folder for corpus files written by a test; deleted on dispose.</summary>
public sealed class CorpusTestDirectory : IDisposable
{
    public CorpusTestDirectory() =>
        Path = Directory.CreateTempSubdirectory("nextlong-corpus-").FullName;

    public string Path { get; }

    /// <summary>Full path of <paramref name="relative"/>, its folders created.</summary>
    public string PathOf(string relative)
    {
        string full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return full;
    }

    public string WriteBytes(string relative, byte[] bytes)
    {
        string full = PathOf(relative);
        File.WriteAllBytes(full, bytes);
        return full;
    }

    /// <summary>Writes UTF-8 text (no BOM) as it is, plain or compressed by the file's extension.</summary>
    public string WriteText(string relative, string text) => WriteBytes(relative, Compress(relative, Encoding.UTF8.GetBytes(text)));

    /// <summary>Gzip or zstd compresses by extension; other names stay plain.</summary>
    public static byte[] Compress(string name, byte[] bytes)
    {
        if (name.EndsWith(".gz", StringComparison.Ordinal))
        {
            var output = new MemoryStream();
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
                gzip.Write(bytes);
            return output.ToArray();
        }
        if (name.EndsWith(".zst", StringComparison.Ordinal))
        {
            using var compressor = new Compressor(3);
            return compressor.Wrap(bytes).ToArray();
        }
        return bytes;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open elsewhere must not fail the test that made it; the OS cleans its temp folder.
        }
    }
}
