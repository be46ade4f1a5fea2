using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace NExtLong.Tests;

/// <summary>The repository's sample corpus (samples/sample-docs.jsonl.gz) and test texts built from it.</summary>
internal static class SampleCorpus
{
    private static readonly Lazy<string> RootDirectory = new(FindRepositoryRoot);
    private static readonly Lazy<IReadOnlyList<string>> AllDocuments = new(ReadDocuments);

    /// <summary>Snippets the English-heavy corpus lacks: CJK, Hangul, Greek, emoji (with ZWJ and skin tone), astral CJK.</summary>
    private static readonly string[] OtherScripts =
    [
        "长上下文模型需要大量的训练数据。", "日本語のテキストも含めます、そして続きます。", "한국어 문장도 있습니다. ",
        "😀🎉👍🏽", " 👨‍👩‍👧‍👦 family ", "Ελληνικά κείμενα ", "emoji🙂inside", "𠀀𠀁𠀂 (CJK Ext-B) ", "naïve café ",
        "٣٤٥ digits ", "你好，世界！", "🇩🇪🇯🇵", " Ünïcödé\u00A0nbsp ", "\t\ttabs  and   spaces \n\n", "ｆｕｌｌｗｉｄｔｈ ",
    ];

    public static string Root => RootDirectory.Value;

    public static IReadOnlyList<string> Documents => AllDocuments.Value;

    public static string DataFile(string name) => Path.Combine(Root, "tests", "NExtLong.Tests", "Data", name);

    /// <summary>Random documents joined by blank lines, cut to <paramref name="chars"/> UTF-16 chars (whole scalars).</summary>
    public static string Concatenated(int chars, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(chars + 16_384);
        while (text.Length < chars)
            text.Append(Documents[random.Next(Documents.Count)]).Append("\n\n");
        return CutAtScalar(text.ToString(), chars);
    }

    /// <summary>
    /// Corpus fragments that start and end mid-word, interleaved with <see cref="OtherScripts"/>, about
    /// <paramref name="chars"/> long.
    /// </summary>
    public static string MixedScripts(int chars, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder(chars + 1024);
        while (text.Length < chars)
        {
            if (random.Next(3) == 0)
            {
                text.Append(OtherScripts[random.Next(OtherScripts.Length)]);
                continue;
            }
            string doc = Documents[random.Next(Documents.Count)];
            int start = CutAtScalar(doc, random.Next(doc.Length)).Length;
            int length = Math.Min(doc.Length - start, 20 + random.Next(400));
            text.Append(CutAtScalar(doc[start..], length));
        }
        return CutAtScalar(text.ToString(), chars);
    }

    /// <summary>text[..length], one shorter if that would split a surrogate pair.</summary>
    public static string CutAtScalar(string text, int length)
    {
        if (length >= text.Length)
            return text;
        if (length > 0 && char.IsHighSurrogate(text[length - 1]))
            length--;
        return text[..length];
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NExtLong.slnx")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No NExtLong.slnx above {AppContext.BaseDirectory}.");
    }

    private static IReadOnlyList<string> ReadDocuments()
    {
        var documents = new List<string>();
        using var reader = new StreamReader(
            new GZipStream(File.OpenRead(Path.Combine(Root, "samples", "sample-docs.jsonl.gz")), CompressionMode.Decompress));
        for (string? line; (line = reader.ReadLine()) is not null;)
        {
            using var record = JsonDocument.Parse(line);
            documents.Add(record.RootElement.GetProperty("text").GetString()!);
        }
        return documents;
    }
}
