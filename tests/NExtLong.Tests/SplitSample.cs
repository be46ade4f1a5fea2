using System.IO.Compression;

namespace NExtLong.Tests;

/// <summary>The bundled sample corpus cut into several files (alternately .jsonl.gz and .jsonl): the work units of a distributed index build.</summary>
internal static class SplitSample
{
    /// <summary>Writes <paramref name="files"/> files of <paramref name="documentsPerFile"/> sample documents each (all of them when null) into DIR/corpus.</summary>
    public static string Create(string dir, int files, int? documentsPerFile = null)
    {
        var lines = new List<string>();
        using (var gz = new GZipStream(File.OpenRead(SampleIndexFixture.SamplePath), CompressionMode.Decompress))
        using (var reader = new StreamReader(gz))
            while (reader.ReadLine() is { } line) lines.Add(line);
        int per = documentsPerFile ?? (lines.Count + files - 1) / files;
        string corpus = Path.Combine(dir, "corpus");
        Directory.CreateDirectory(corpus);
        for (int f = 0; f < files; f++)
        {
            var part = lines.Skip(f * per).Take(per).Select(l => l + "\n");
            string path = Path.Combine(corpus, f % 2 == 0 ? $"part-{f:D2}.jsonl.gz" : $"part-{f:D2}.jsonl");
            using var file = File.Create(path);
            using Stream output = f % 2 == 0 ? new GZipStream(file, CompressionLevel.Fastest) : file;
            using var writer = new StreamWriter(output);
            foreach (var l in part) writer.Write(l);
        }
        return corpus;
    }

    /// <summary>Asserts two folder trees hold the same files with the same bytes, leaving out folders <paramref name="skipDir"/> names and files <paramref name="skipFile"/> names.</summary>
    public static void AssertSameTree(string expected, string actual, Func<string, bool>? skipDir = null, Func<string, bool>? skipFile = null)
    {
        skipDir ??= name => name.EndsWith(".work", StringComparison.Ordinal);
        Verified.IfComplete(expected);
        Verified.IfComplete(actual);
        var a = Files(expected, skipDir).Where(f => skipFile?.Invoke(Path.GetFileName(f)) != true).ToList();
        var b = Files(actual, skipDir).Where(f => skipFile?.Invoke(Path.GetFileName(f)) != true).ToList();
        Assert.Equal(a, b);
        foreach (var f in a)
            Assert.True(File.ReadAllBytes(Path.Combine(expected, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actual, f))), $"{f} differs");
    }

    private static List<string> Files(string root, Func<string, bool> skipDir)
    {
        var found = new List<string>();
        void Walk(string dir)
        {
            foreach (var f in Directory.GetFiles(dir)) found.Add(Path.GetRelativePath(root, f));
            foreach (var d in Directory.GetDirectories(dir))
                if (!skipDir(Path.GetFileName(d))) Walk(d);
        }
        Walk(root);
        found.Sort(StringComparer.Ordinal);
        return found;
    }
}
