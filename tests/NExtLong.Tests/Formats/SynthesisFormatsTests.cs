using System.Text.Json;
using NExtLong.Output;
using NExtLong.Output.Mds;
using NExtLong.Pipeline;
using NExtLong.Synthesis;
using NExtLong.Tokenization;
using Parquet;
using Parquet.Serialization;

namespace NExtLong.Tests.Formats;

/// <summary>One synthesis run writing every format, each read back with the spec readers and checked against the JSON lines.</summary>
public class SynthesisFormatsTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private const int T = 4096;
    private const int Eos = 100257;

    private string Synthesize(string name, DatasetOutputOptions output, int samples = 6, string tokenizer = "cl100k_base")
    {
        string outDir = Path.Combine(sample.Root, name);
        SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = ["sample=" + SampleIndexFixture.SamplePath] },
            OutDir = outDir,
            Tokenizer = tokenizer,
            Synthesis = new SynthesisOptions { TargetTokens = T, NumSamples = samples },
            Output = output,
            Execution = new() { Threads = 2 },
        }, ct: TestContext.Current.CancellationToken);
        return outDir;
    }

    [Fact]
    public async Task Every_format_holds_the_same_documents()
    {
        var all = new DatasetOutputOptions
        {
            Formats = [DatasetFormat.JsonlZst, DatasetFormat.Mds, DatasetFormat.MdsText, DatasetFormat.Megatron, DatasetFormat.Parquet],
            Mds = new MdsWriterOptions { Hashes = ["sha1", "xxh64"] },
        };
        string dir = Synthesize("all-formats", all);
        var lines = DatasetReader.ReadDocuments(dir);
        Assert.Equal(6, lines.Count);
        var tokenizer = TargetTokenizer.Load("cl100k_base");
        var expectedIds = lines.Select(l => tokenizer.EncodeToIds(l.GetProperty("text").GetString()!).Select(i => (uint)i).Append((uint)Eos).ToArray()).ToList();

        // mds: ProLong columns, one folder per source and a merged index that lists them.
        var mds = SpecMdsReader.ReadAll(Path.Combine(dir, "mds"));
        Assert.Equal(6, mds.Count);
        for (int i = 0; i < mds.Count; i++)
        {
            var ids = (SpecMdsReader.UIntArray)mds[i]["input_ids"];
            Assert.Equal(expectedIds[i], ids.Values);
            Assert.Equal([T + 1], ids.Shape);
            var indices = (SpecMdsReader.UIntArray)mds[i]["indices"];
            Assert.Equal([1, 2], indices.Shape);
            Assert.Equal([0u, (uint)(T + 1)], indices.Values);
            Assert.Equal((long)(T + 1), mds[i]["length"]);
            Assert.Equal("sample", mds[i]["domain"]);
            Assert.StartsWith("sample/shard.", mds[i].Shard);
        }
        Assert.Equal(6, SpecMdsReader.ReadAll(Path.Combine(dir, "mds", "sample")).Count);

        // mds-text: the text and the provenance of the JSON lines (written as json.dumps writes it, so compared as values).
        var texts = SpecMdsReader.ReadAll(Path.Combine(dir, "mds-text"));
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.Equal(lines[i].GetProperty("text").GetString(), texts[i]["text"]);
            Assert.Equal(lines[i].GetProperty("id").GetString(), texts[i]["id"]);
            var provenance = (JsonElement)texts[i]["provenance"];
            foreach (var p in lines[i].EnumerateObject().Where(p => p.Name is not ("id" or "text")))
                Assert.True(JsonElement.DeepEquals(p.Value, provenance.GetProperty(p.Name)), $"{p.Name} differs");
        }

        // megatron: one int32 sequence per document, the same ids.
        var megatron = SpecMegatronReader.Read(Path.Combine(dir, "megatron", "nextlong_text_document"));
        Assert.Equal(4, megatron.DTypeCode);
        Assert.Equal(expectedIds.Select(e => e.Select(v => (long)v)), megatron.Sequences);

        // parquet: the Hugging Face layout, nested like the JSON lines.
        string parquet = Assert.Single(Directory.GetFiles(Path.Combine(dir, "data")));
        Assert.Equal("train-00000-of-00001.parquet", Path.GetFileName(parquet));
        await using (var file = File.OpenRead(parquet))
        {
            var rows = await ParquetSerializer.DeserializeUntypedAsync(file, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(["id", "text", "num_tokens", "meta_document", "k", "attempts", "near_duplicates_skipped", "false_negatives_skipped", "spans"], rows.Schema.Fields.Select(f => f.Name));
            Assert.Equal(6, rows.Data.Count);
            for (int i = 0; i < 6; i++)
            {
                Assert.Equal(lines[i].GetProperty("text").GetString(), rows.Data[i]["text"]);
                Assert.Equal(T, rows.Data[i]["num_tokens"]);
                var spans = (System.Collections.IList)rows.Data[i]["spans"]!;
                Assert.Equal(lines[i].GetProperty("spans").GetArrayLength(), spans.Count);
            }
        }

        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "config.json"))).RootElement.GetProperty("output");
        Assert.Equal(T + 1, config.GetProperty("sequence_tokens").GetInt32());
        Assert.False(config.GetProperty("add_bos").GetBoolean());
        Assert.Equal(Eos, config.GetProperty("eos_id").GetInt32());
        Assert.Equal("int32", config.GetProperty("megatron_dtype").GetString());
        var files = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "stats.json"))).RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Contains("mds/index.json", files);
        Assert.Contains("mds/sample/index.json", files);
        Assert.Contains("megatron/nextlong_text_document.idx", files);
        Assert.Contains("data/train-00000-of-00001.parquet", files);
        Assert.Contains("README.md", files);
        Assert.Contains("train-prolong.sh", files);
        Assert.DoesNotContain(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_format_is_byte_identical_across_runs_and_thread_counts()
    {
        var formats = new DatasetOutputOptions { Formats = [DatasetFormat.Mds, DatasetFormat.MdsText, DatasetFormat.Megatron, DatasetFormat.Parquet] };
        string one = Synthesize("same-1", formats, samples: 3);
        string two = Path.Combine(sample.Root, "same-2");
        SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = ["sample=" + SampleIndexFixture.SamplePath] },
            OutDir = two,
            Synthesis = new SynthesisOptions { TargetTokens = T, NumSamples = 3 },
            Output = formats,
            Execution = new() { Threads = 1 },
        }, ct: TestContext.Current.CancellationToken);
        var files = Directory.GetFiles(one, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(one, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.GetFiles(two, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(two, f)).Order(StringComparer.Ordinal));
        foreach (string f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(one, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(two, f))), $"{f} differs");
    }

    [Fact]
    public void Every_format_resumes_from_a_checkpoint_byte_identical_to_an_uninterrupted_run()
    {
        var formats = new DatasetOutputOptions { Formats = [DatasetFormat.JsonlZst, DatasetFormat.Mds, DatasetFormat.MdsText, DatasetFormat.Megatron, DatasetFormat.Parquet] };
        SynthesisStage.Options Options(string dir) => new()
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = ["sample=" + SampleIndexFixture.SamplePath] },
            OutDir = dir,
            Synthesis = new SynthesisOptions { TargetTokens = T, NumSamples = 12, DocumentsPerPart = 5 },
            Output = formats,
            Execution = new() { Threads = 2 },
        };
        string whole = Path.Combine(sample.Root, "resume-formats-whole"), cut = Path.Combine(sample.Root, "resume-formats-cut");
        SynthesisStage.Run(Options(whole), ct: TestContext.Current.CancellationToken);
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => SynthesisStage.Run(Options(cut),
            (phase, done, _) => { if (phase == "synthesize" && done >= 7) cts.Cancel(); }, cts.Token));
        Assert.True(File.Exists(Path.Combine(cut, SynthesisStage.ProgressFile)));
        Assert.False(File.Exists(Path.Combine(cut, "mds", "index.json")));
        SynthesisStage.Run(Options(cut), ct: TestContext.Current.CancellationToken);

        var files = Directory.GetFiles(whole, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(whole, f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(files, Directory.GetFiles(cut, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(cut, f)).Order(StringComparer.Ordinal));
        foreach (string f in files)
            Assert.True(File.ReadAllBytes(Path.Combine(whole, f)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(cut, f))), $"{f} differs after resume");
        Assert.Equal(12, SpecMdsReader.ReadAll(Path.Combine(cut, "mds")).Count);
        Assert.Equal(12, SpecMegatronReader.Read(Path.Combine(cut, "megatron", "nextlong_text_document")).Lengths.Length);
        // Shards and Parquet files also end at checkpoints: 5 + 5 + 2 documents.
        Assert.Equal([5L, 5L, 2L], MdsIndex.Read(Path.Combine(cut, "mds", "index.json")).Select(s => s.Samples));
        Assert.Equal(3, Directory.GetFiles(Path.Combine(cut, "data")).Length);
    }

    [Fact]
    public void Dataset_card_states_sources_parameters_statistics_licences_and_recipe()
    {
        string dir = Synthesize("card", new DatasetOutputOptions { Formats = [DatasetFormat.Mds], Mds = new MdsWriterOptions { Compression = "zstd:5", Hashes = ["sha1"], SizeLimit = 1 << 20 } }, samples: 3);
        string card = File.ReadAllText(Path.Combine(dir, "README.md"));
        // Every output parameter, nested ones included.
        Assert.Contains("| `output.mds.compression` | `\"zstd:5\"` |", card);
        Assert.Contains("| `output.mds.hashes` | `\"sha1\"` |", card);
        Assert.Contains("| `output.mds.size_limit` | `1048576` |", card);
        Assert.Contains("| `output.add_bos` | `false` |", card);
        Assert.Contains("| `output.eos_id` | `100257` |", card);
        Assert.Contains("| `tokenizer` | `\"cl100k_base\"` |", card);
        // The recipe follows the tokenizer: no Llama 3 model for cl100k_base ids.
        Assert.Contains("so no model is assumed", card);
        Assert.StartsWith("---\npretty_name: ", card);
        Assert.Contains("\nlicense: other\n", card);
        Assert.Contains("size_categories:\n- n<1K\n", card);
        Assert.DoesNotContain("configs:", card);
        Assert.Contains("| sample | 1 | 3 | 3 | 1 | text |", card);
        Assert.Contains("| `target_tokens` | `4096` |", card);
        Assert.Contains("| `output.sequence_tokens` | `4097` |", card);
        Assert.Contains("| documents | 3 |", card);
        // The licence rows of samples/LICENSES.tsv, which sits next to the input.
        Assert.Contains("| r-cran-janeaustenr | 1.0.0-1 | MIT |", card);
        Assert.Equal(File.ReadAllText(Path.Combine(SampleCorpus.Root, "samples", "LICENSES.tsv")), File.ReadAllText(Path.Combine(dir, "LICENSES.tsv")));
        Assert.DoesNotContain(sample.Root, card);

        string recipe = File.ReadAllText(Path.Combine(dir, "train-prolong.sh"));
        Assert.StartsWith("#!/usr/bin/env bash", recipe);
        Assert.Contains("DATA=${DATA:-$here/mds}", recipe);
        Assert.Contains("ROPE_THETA=${ROPE_THETA:-200000000}", recipe);
        Assert.Contains("LR=${LR:-4e-5}", recipe);
        Assert.Contains("SEQ_TOKENS=4097", recipe);
        Assert.Contains("MODEL=${MODEL:-}", recipe);
        Assert.True(File.GetUnixFileMode(Path.Combine(dir, "train-prolong.sh")).HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public void A_baseline_dataset_card_names_its_method()
    {
        string dir = Path.Combine(sample.Root, "baseline-card");
        SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = ["sample=" + SampleIndexFixture.SamplePath] },
            OutDir = dir,
            Synthesis = new SynthesisOptions { TargetTokens = T, NumSamples = 2, Method = SynthesisMethod.Standard },
            Output = new DatasetOutputOptions { Formats = [DatasetFormat.Mds] },
            Execution = new() { Threads = 2 },
        }, ct: TestContext.Current.CancellationToken);
        string card = File.ReadAllText(Path.Combine(dir, "README.md"));
        Assert.Contains("# Long documents by the standard baseline (4,096 tokens)", card);
        Assert.Contains("| documents joined after the anchor (mean) |", card);
        Assert.DoesNotContain("meta-chunk share", card);
        Assert.Equal(2, SpecMdsReader.ReadAll(Path.Combine(dir, "mds")).Count);
    }

    [Fact]
    public void Switching_formats_removes_the_earlier_run_s_files()
    {
        string dir = Synthesize("switch", new DatasetOutputOptions { Formats = [DatasetFormat.Mds, DatasetFormat.Parquet] }, samples: 2);
        Assert.True(File.Exists(Path.Combine(dir, "mds", "index.json")));
        SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = ["sample=" + SampleIndexFixture.SamplePath] },
            OutDir = dir,
            Synthesis = new SynthesisOptions { TargetTokens = T, NumSamples = 2 },
            Output = new DatasetOutputOptions { Formats = [DatasetFormat.Megatron] },
            Execution = new() { Overwrite = true, Threads = 2 },
        }, ct: TestContext.Current.CancellationToken);
        Assert.False(File.Exists(Path.Combine(dir, "mds", "index.json")));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "mds", "sample")));
        Assert.Empty(Directory.GetFiles(Path.Combine(dir, "data")));
        Assert.True(File.Exists(Path.Combine(dir, "megatron", "nextlong_text_document.bin")));
    }

    [Fact]
    public void Special_token_policy_frames_documents_and_refuses_missing_tokens()
    {
        var llama3 = new SpecialTokenPolicy(128000, 128001);
        var ids = new int[5];
        Assert.Equal(5, llama3.Frame([9906, 1917, 0], ids));
        Assert.Equal([128000, 9906, 1917, 0, 128001], ids);
        Assert.Equal(65538, llama3.SequenceLength(65536));
        var cl100k = TargetTokenizer.Load("cl100k_base");
        Assert.Equal(new SpecialTokenPolicy(null, Eos), SpecialTokenPolicy.Resolve(cl100k, null, null));
        Assert.Equal(SpecialTokenPolicy.None, SpecialTokenPolicy.Resolve(cl100k, false, false));
        Assert.Contains("--add-bos", Assert.Throws<ArgumentException>(() => SpecialTokenPolicy.Resolve(cl100k, true, null)).Message);
        Assert.Equal(100_277, TokenizerVocabulary.Size(cl100k));
    }

    /// <summary>Every file nextlong wrote into a dataset, pack or mix folder that a person or machine reads: config, card, recipe, licences.</summary>
    private static IEnumerable<string> Described(string dir) =>
        new[] { "config.json", "README.md", "train-prolong.sh", "LICENSES.tsv" }.Select(f => Path.Combine(dir, f)).Where(File.Exists);

    [Fact]
    public void Mix_and_pack_refuse_datasets_of_different_tokenizers_special_tokens_or_lengths_naming_both()
    {
        var mds = new DatasetOutputOptions { Formats = [DatasetFormat.Mds] };
        string cl100k = Synthesize("facts-cl100k", mds, samples: 2);
        string o200k = Synthesize("facts-o200k", mds, samples: 2, tokenizer: "o200k_base");
        string noEos = Synthesize("facts-no-eos", mds with { AddEos = false }, samples: 2);
        var ct = TestContext.Current.CancellationToken;

        string a = Path.Combine(cl100k, "mds"), b = Path.Combine(o200k, "mds");
        var mix = Assert.Throws<InvalidDataException>(() => Packing.DatasetMixer.Mix([new(a, 1), new(b, 1)], Path.Combine(sample.Root, "facts-mix-bad"), new Packing.MixOptions(), ct: ct));
        Assert.Contains(a, mix.Message);
        Assert.Contains(b, mix.Message);
        Assert.Contains("tokenizer: cl100k_base vs o200k_base", mix.Message);
        Assert.Contains("EOS 100257 only vs EOS 199999 only", mix.Message);
        Assert.False(Directory.Exists(Path.Combine(sample.Root, "facts-mix-bad")));
        var specials = Assert.Throws<InvalidDataException>(() => Packing.DatasetMixer.Mix([new(a, 1), new(Path.Combine(noEos, "mds"), 1)], Path.Combine(sample.Root, "facts-mix-eos"), new Packing.MixOptions(), ct: ct));
        Assert.Contains("special tokens: EOS 100257 only vs none", specials.Message);
        // A source's folder (mds/<source>) finds the dataset's config.json too.
        var pack = Assert.Throws<InvalidDataException>(() => Packing.SequencePacker.Pack([Path.Combine(a, "sample"), b], Path.Combine(sample.Root, "facts-pack-bad"), new Packing.PackOptions(), ct: ct));
        Assert.Contains("pack:", pack.Message);
        Assert.Contains("tokenizer: cl100k_base vs o200k_base", pack.Message);

        // A packed dataset records the same facts, so mixing it with the unpacked data is refused for its length.
        string packed = Path.Combine(sample.Root, "facts-packed");
        Packing.SequencePacker.Pack([a], packed, new Packing.PackOptions { PackLength = 2 * (T + 1) }, ct: ct);
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(packed, "config.json"))).RootElement;
        Assert.Equal("cl100k_base", config.GetProperty("tokenizer").GetString());
        Assert.Equal(2 * (T + 1), config.GetProperty("output").GetProperty("sequence_tokens").GetInt32());
        Assert.Equal(Eos, config.GetProperty("output").GetProperty("eos_id").GetInt32());
        Assert.Equal(Path.GetRelativePath(packed, a), config.GetProperty("inputs")[0].GetProperty("path").GetString());
        Assert.Equal(FileChecksum.ContentOf(Path.Combine(a, "index.json")), config.GetProperty("inputs")[0].GetProperty("index_xxh3").GetString());
        var length = Assert.Throws<InvalidDataException>(() => Packing.DatasetMixer.Mix([new(packed, 1), new(a, 1)], Path.Combine(sample.Root, "facts-mix-length"), new Packing.MixOptions(), ct: ct));
        Assert.Contains($"sequence length: {2 * (T + 1):N0} vs {T + 1:N0} ids", length.Message);
        string mixed = Path.Combine(sample.Root, "facts-mixed");
        Packing.DatasetMixer.Mix([new(packed, 1), new(packed, 2)], mixed, new Packing.MixOptions { NumSamples = 3 }, ct: ct);
        Assert.Equal("cl100k_base", JsonDocument.Parse(File.ReadAllText(Path.Combine(mixed, "config.json"))).RootElement.GetProperty("tokenizer").GetString());
        Assert.Contains("MODEL=${MODEL:-}", File.ReadAllText(Path.Combine(mixed, "train-prolong.sh")));

        // No path of this machine in anything written: not the test's folders, not the sample corpus's.
        foreach (string file in new[] { cl100k, packed, mixed }.SelectMany(Described))
        {
            string text = File.ReadAllText(file);
            Assert.DoesNotContain(sample.Root, text);
            Assert.DoesNotContain(SampleCorpus.Root, text);
            Assert.DoesNotContain(Path.GetTempPath(), text);
        }
    }
}
