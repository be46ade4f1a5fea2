using NExtLong.Cli;
using NExtLong.Inspection;
using NExtLong.Output.Mds;
using NExtLong.Tokenization;

namespace NExtLong.Tests.Formats;

/// <summary>`nextlong inspect` on every format, and the new commands and options through the command line.</summary>
public class InspectAndCliTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private string SynthesizeWithCli(string name, params string[] extra)
    {
        string outDir = Path.Combine(sample.Root, name);
        int code = NExtLongCommand.Run([
            "synthesize", "--index", sample.IndexDir, "--input", SampleIndexFixture.SamplePath, "--out", outDir,
            "--target-tokens", "2048", "-n", "3", "--threads", "2", .. extra]);
        Assert.Equal(0, code);
        return outDir;
    }

    [Fact]
    public void Reserve_special_tokens_makes_sequences_exactly_the_target()
    {
        string dir = SynthesizeWithCli("reserve", "--format", "mds,megatron", "--reserve-special-tokens");
        var samples = SpecMdsReader.ReadAll(Path.Combine(dir, "mds"));
        Assert.All(samples, s => Assert.Equal(2048L, s["length"]));
        Assert.All(samples, s => Assert.Equal(100257u, ((SpecMdsReader.UIntArray)s["input_ids"]).Values[^1]));
        Assert.All(SpecMegatronReader.Read(Path.Combine(dir, "megatron", "nextlong_text_document")).Lengths, l => Assert.Equal(2048, l));
        string config = File.ReadAllText(Path.Combine(dir, "config.json"));
        Assert.Contains("\"target_tokens\": 2047", config);
        Assert.Contains("\"sequence_tokens\": 2048", config);
        Assert.False(Directory.EnumerateFiles(dir, "part-*").Any());
    }

    [Fact]
    public void Inspect_reads_every_format_of_a_dataset_folder()
    {
        string dir = SynthesizeWithCli("inspect", "--format", "jsonl.zst,mds,mds-text,megatron,parquet", "--mds-compression", "zstd:5", "--mds-hashes", "xxh64");
        var output = new StringWriter();
        DatasetInspector.Inspect(dir, output, new InspectOptions { Tokenizer = TargetTokenizer.Load("cl100k_base"), MaxChars = 60 });
        string text = output.ToString();
        Assert.Contains("JSON lines", text);
        Assert.Contains("documents: 3, num_tokens: 6,144", text);
        Assert.Contains($"MDS dataset {Path.Combine(dir, "mds")}", text);
        Assert.Contains("columns: domain (str), indices (ndarray:uint32), input_ids (ndarray:uint32), length (int)", text);
        Assert.Contains("tokens: 6,147 (per sample mean 2,049", text);
        Assert.Contains("compression: zstd:5; hashes: xxh64", text);
        Assert.Contains("columns: domain (str), id (str), provenance (json), text (str)", text);
        Assert.Contains("MMIDIDX version 1, dtype int32 (code 4); sequences: 3, documents: 3", text);
        Assert.Contains("files: 1, rows: 3, num_tokens: 6,144", text);
        Assert.Contains("spans: list<element: struct {role: string?", text);
        Assert.Contains("input_ids decoded (cl100k_base): \"", text);

        // Single files and prefixes are recognised too.
        foreach (var (path, shown) in new[]
        {
            (Path.Combine(dir, "megatron", "nextlong_text_document"), "sequence 2: 2,049 ids"),
            (Path.Combine(dir, "megatron", "nextlong_text_document.bin"), "sequence 2: 2,049 ids"),
            (Path.Combine(dir, "mds", "index.json"), "sample 2 ("),
            (Path.Combine(dir, "data", "train-00000-of-00001.parquet"), "row 2 (train-00000-of-00001.parquet, row group 0):\n    id: \"nextlong-00000002\""),
            (Path.Combine(dir, "part-00000.jsonl.zst"), "record 2 (part-00000.jsonl.zst:3):\n    id: \"nextlong-00000002\""),
        })
        {
            var one = new StringWriter { NewLine = "\n" };
            DatasetInspector.Inspect(path, one, new InspectOptions { Sample = 2, Scan = false });
            Assert.Contains(shown, one.ToString());
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetInspector.Inspect(Path.Combine(dir, "part-00000.jsonl.zst"), new StringWriter(), new InspectOptions { Sample = 3 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => DatasetInspector.Inspect(Path.Combine(dir, "mds"), new StringWriter(), new InspectOptions { Sample = 3 }));
    }

    [Fact]
    public void Inspect_and_the_readers_name_the_file_of_bad_input()
    {
        string dir = TempDir.Create();
        Assert.Throws<FileNotFoundException>(() => DatasetInspector.Inspect(Path.Combine(dir, "missing"), new StringWriter(), new InspectOptions()));
        Assert.Contains(dir, Assert.Throws<InvalidDataException>(() => DatasetInspector.Inspect(dir, new StringWriter(), new InspectOptions())).Message);

        string mds = Path.Combine(dir, "mds");
        using (var writer = new MdsWriter(mds, ProLongLayout.Columns))
        {
            ProLongLayout.Write(writer, [1, 2, 3], [new(0, 3)], "d");
            writer.Complete();
        }
        string index = Path.Combine(mds, "index.json");
        File.WriteAllText(index, File.ReadAllText(index).Replace("\"samples\": 1", "\"samples\": 2"));
        var e = Assert.Throws<InvalidDataException>(() => DatasetInspector.Inspect(mds, new StringWriter(), new InspectOptions()));
        Assert.Contains("shard.00000.mds", e.Message);
        File.WriteAllText(index, "{\"version\": 3}");
        Assert.Contains(index, Assert.Throws<InvalidDataException>(() => MdsDataset.Open(mds)).Message);

        string idx = Path.Combine(dir, "x.idx");
        File.WriteAllBytes(idx, new byte[40]);
        File.WriteAllBytes(Path.Combine(dir, "x.bin"), []);
        Assert.Contains(idx, Assert.Throws<InvalidDataException>(() => DatasetInspector.Inspect(Path.Combine(dir, "x"), new StringWriter(), new InspectOptions())).Message);
    }

    [Fact]
    public void Pack_and_mix_commands_write_datasets_and_report_failures()
    {
        string root = TempDir.Create();
        string input = Path.Combine(root, "in");
        using (var writer = new MdsWriter(input, ProLongLayout.Columns))
        {
            for (int i = 0; i < 6; i++) ProLongLayout.Write(writer, Enumerable.Range(i * 100, 10).ToArray(), [new(0, 10)], "d");
            writer.Complete();
        }
        Assert.Equal(0, NExtLongCommand.Run(["pack", input, "-o", Path.Combine(root, "packed"), "-l", "20", "--seed", "1"]));
        Assert.Equal(3, SpecMdsReader.ReadAll(Path.Combine(root, "packed")).Count);
        // 25 ids hold two documents of 10: no sequence is full.
        Assert.Equal(2, NExtLongCommand.Run(["pack", input, "-o", Path.Combine(root, "none"), "-l", "25"]));
        Assert.Equal(1, NExtLongCommand.Run(["pack", input, "-o", Path.Combine(root, "packed"), "-l", "20"]));
        // Documents of 10 ids and sequences of 20 do not mix; two packings do.
        Assert.Equal(1, NExtLongCommand.Run(["mix", input + "@1", Path.Combine(root, "packed") + "@1", "-o", Path.Combine(root, "mixed")]));
        Assert.Equal(0, NExtLongCommand.Run(["pack", input, "-o", Path.Combine(root, "packed2"), "-l", "20", "--seed", "2"]));
        Assert.Equal(0, NExtLongCommand.Run(["mix", Path.Combine(root, "packed2") + "@1", Path.Combine(root, "packed") + "@1", "-o", Path.Combine(root, "mixed")]));
        Assert.Equal(6, SpecMdsReader.ReadAll(Path.Combine(root, "mixed")).Count);
        Assert.Equal(0, NExtLongCommand.Run(["mix", input + "@2", input + "@1", "-o", Path.Combine(root, "mixed2"), "-n", "9"]));
        Assert.Equal(9, SpecMdsReader.ReadAll(Path.Combine(root, "mixed2")).Count);
        Assert.Equal(1, NExtLongCommand.Run(["synthesize", "--index", "x", "--input", "y", "--out", Path.Combine(root, "s"), "--format", "csv"]));
    }
}
