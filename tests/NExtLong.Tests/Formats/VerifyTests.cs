using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NExtLong.Inspection;
using NExtLong.Output;
using NExtLong.Output.Mds;
using NExtLong.Output.Megatron;
using NExtLong.Packing;
using NExtLong.Pipeline;
using NExtLong.Synthesis;
using Parquet;
using ZstdSharp;

namespace NExtLong.Tests.Formats;

/// <summary>`nextlong verify` (and inspect's verify line) on a real dataset in every format, whole and with each kind of damage.</summary>
public class VerifyTests(SampleIndexFixture sample) : IClassFixture<SampleIndexFixture>
{
    private const int T = 1024;
    private const int Samples = 4;
    private const int CorruptId = 1_380_009_820;

    /// <summary>A fresh dataset in every format (cl100k_base: T + EOS ids per sequence), MDS shards hashed.</summary>
    private string Dataset(string name, string? compression = null)
    {
        string dir = Path.Combine(sample.Root, "verify-" + name);
        SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = ["sample=" + SampleIndexFixture.SamplePath] },
            OutDir = dir,
            Synthesis = new SynthesisOptions { TargetTokens = T, NumSamples = Samples },
            Output = new DatasetOutputOptions
            {
                Formats = [DatasetFormat.JsonlZst, DatasetFormat.Mds, DatasetFormat.MdsText, DatasetFormat.Megatron, DatasetFormat.Parquet],
                Mds = new MdsWriterOptions { Hashes = ["sha1", "xxh64"], Compression = compression },
            },
            Execution = new() { Threads = 2 },
        }, ct: TestContext.Current.CancellationToken);
        return dir;
    }

    /// <summary>A fresh dataset in mds and megatron for Megatron-LM's TikTokenizer (ranks shifted by 1,000, its eod 2).</summary>
    private string TikTokenizerDataset(string name)
    {
        string dir = Path.Combine(sample.Root, "verify-" + name);
        SynthesisStage.Run(new SynthesisStage.Options
        {
            IndexDir = sample.IndexDir,
            Corpus = new() { Inputs = ["sample=" + SampleIndexFixture.SamplePath] },
            OutDir = dir,
            Synthesis = new SynthesisOptions { TargetTokens = T, NumSamples = Samples },
            Output = new DatasetOutputOptions { Formats = [DatasetFormat.Mds, DatasetFormat.Megatron], MegatronTokenizer = MegatronTokenizerType.TikToken },
            Execution = new() { Threads = 2 },
        }, ct: TestContext.Current.CancellationToken);
        return dir;
    }

    private static string Failure(string path, VerifyOptions? options = null)
    {
        var result = DatasetVerifier.Verify(path, options ?? new VerifyOptions());
        Assert.False(result.Ok, $"{path} verified: {result.Summary}");
        return result.Failure!;
    }

    private static string Shard(string dir) => Path.Combine(dir, "mds", "sample", "shard.00000.mds");

    // Where sample i's input_ids values start in an uncompressed ProLong shard (columns domain, indices, input_ids, length).
    private static int IdsOffset(byte[] shard, int i)
    {
        int begin = (int)BinaryPrimitives.ReadUInt32LittleEndian(shard.AsSpan(4 + 4 * i));
        int domain = (int)BinaryPrimitives.ReadUInt32LittleEndian(shard.AsSpan(begin));
        int indices = (int)BinaryPrimitives.ReadUInt32LittleEndian(shard.AsSpan(begin + 4));
        // Three u32 lengths, domain, indices, then the ids' ndarray header: 05 and a uint16 length.
        return begin + 12 + domain + indices + 3;
    }

    [Fact]
    public void A_dataset_in_every_format_verifies_whole_and_by_part()
    {
        string dir = Dataset("whole");
        var result = DatasetVerifier.Verify(dir, new VerifyOptions());
        Assert.True(result.Ok, result.Failure);
        Assert.Equal(["jsonl.zst", "mds", "mds-text", "megatron", "parquet"], result.Formats);
        Assert.Equal(Samples, result.Samples);
        Assert.Equal(Samples * (T + 1L), result.Tokens);
        Assert.Equal("verified: 4 samples, 4,100 tokens, formats jsonl.zst, mds, mds-text, megatron, parquet; token ids below 100,277 (cl100k_base)", result.Summary);

        foreach (string part in new[] { "mds", "mds/sample", "mds/index.json", "mds-text", "megatron/nextlong_text_document", "megatron/nextlong_text_document.idx", "data", "part-00000.jsonl.zst" })
        {
            var one = DatasetVerifier.Verify(Path.Combine(dir, part), new VerifyOptions());
            Assert.True(one.Ok, one.Failure);
            Assert.Equal(Samples, one.Samples);
        }
        Assert.True(DatasetVerifier.Verify(dir, new VerifyOptions { Quick = true }).Ok);

        // Compressed shards: the zstd frame, both hashes and the samples inside.
        string zstd = Dataset("zstd", compression: "zstd:5");
        Assert.True(DatasetVerifier.Verify(Path.Combine(zstd, "mds"), new VerifyOptions()).Ok);
        string stored = Path.Combine(zstd, "mds", "sample", "shard.00000.mds.zstd");
        var bytes = File.ReadAllBytes(stored);
        bytes[bytes.Length / 2] ^= 0x55;
        File.WriteAllBytes(stored, bytes);
        Assert.StartsWith(stored + ": ", Failure(zstd));
    }

    [Fact]
    public void Flipped_bytes_in_an_MDS_shard_name_the_shard_and_the_sample()
    {
        string dir = Dataset("mds-flip");
        string shard = Shard(dir);
        var bytes = File.ReadAllBytes(shard);
        int at = IdsOffset(bytes, 2) + 4 * 100;
        bytes[at + 3] ^= 0xA5;
        File.WriteAllBytes(shard, bytes);
        string failure = Failure(dir);
        Assert.StartsWith($"{shard}: sample 2 (shard sample 2): token id ", failure);
        Assert.EndsWith(" at position 100 is not below the vocabulary size 100,277", failure);

        // An id changed to another valid id passes every sample check; the recorded hashes catch it.
        bytes[at + 3] ^= 0xA5;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), 5);
        File.WriteAllBytes(shard, bytes);
        Assert.StartsWith($"{shard}: sha1 is ", Failure(Path.Combine(dir, "mds")));

        // inspect reports what verify finds, and fails.
        var output = new StringWriter();
        var e = Assert.Throws<InvalidDataException>(() => DatasetInspector.Inspect(dir, output, new InspectOptions()));
        Assert.Contains($"verify: FAILED: {shard}: sha1 is ", output.ToString());
        Assert.StartsWith($"{shard}: sha1 is ", e.Message);
    }

    [Fact]
    public void A_token_id_of_1380009820_in_the_megatron_bin_is_flagged()
    {
        string dir = Dataset("megatron-id");
        string bin = Path.Combine(dir, "megatron", "nextlong_text_document.bin");
        var bytes = File.ReadAllBytes(bin);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * ((T + 1) * 3 + 17)), CorruptId);
        File.WriteAllBytes(bin, bytes);
        Assert.Equal($"{bin}: sample 3: token id 1,380,009,820 at position 17 is not below the vocabulary size 100,277", Failure(dir));
        // A bare prefix has no config.json: without a vocabulary only int32's range is checked, with one the id is flagged.
        string bare = Path.Combine(sample.Root, "verify-megatron-bare");
        Directory.CreateDirectory(bare);
        File.Copy(bin, Path.Combine(bare, "x.bin"));
        File.Copy(Path.ChangeExtension(bin, ".idx"), Path.Combine(bare, "x.idx"));
        var unchecked_ = DatasetVerifier.Verify(Path.Combine(bare, "x"), new VerifyOptions());
        Assert.True(unchecked_.Ok, unchecked_.Failure);
        Assert.Contains("token ids not checked against a vocabulary", unchecked_.Summary);
        Assert.Contains("sample 3: token id 1,380,009,820", Failure(Path.Combine(bare, "x"), new VerifyOptions { VocabSize = 100_277 }));
        // A header or pointer that disagrees with the .bin is named too.
        var idx = File.ReadAllBytes(Path.Combine(bare, "x.idx"));
        BinaryPrimitives.WriteInt64LittleEndian(idx.AsSpan(34 + 4 * Samples + 8 * 2), 12);
        File.WriteAllBytes(Path.Combine(bare, "x.idx"), idx);
        Assert.StartsWith($"{Path.Combine(bare, "x.idx")}: sample 2: starts at byte 12 of .bin", Failure(Path.Combine(bare, "x")));
    }

    [Fact]
    public void Megatron_ids_for_tiktokenizer_are_checked_against_the_recorded_mapping_and_the_folder_verifies()
    {
        string dir = TikTokenizerDataset("megatron-tiktoken");
        string folder = Path.Combine(dir, "megatron");
        const string Shifted = "token ids below 101,257 (cl100k_base ranks shifted by 1,000 for Megatron's TikTokenizer)";
        foreach (string path in new[] { dir, folder })
        {
            var result = DatasetVerifier.Verify(path, new VerifyOptions());
            Assert.True(result.Ok, $"{path}: {result.Summary}");
        }
        Assert.Equal($"verified: 4 samples, 4,100 tokens, formats megatron; {Shifted}", DatasetVerifier.Verify(folder, new VerifyOptions()).Summary);
        Assert.True(DatasetVerifier.Verify(folder, new VerifyOptions { Tokenizer = TargetTokenizerTests.Get("cl100k_base") }).Ok);

        // The tokenizer's own EOS where Megatron's eod belongs, and a rank beyond the shifted vocabulary, are named.
        string bin = Path.Combine(folder, "nextlong_text_document.bin");
        var bytes = File.ReadAllBytes(bin);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * T), 100_257);
        File.WriteAllBytes(bin, bytes);
        Assert.Equal($"{bin}: sample 0: ends with id 100,257, not EOS 2 as config.json records", Failure(folder));
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * T), 2);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4 * 5), 101_257);
        File.WriteAllBytes(bin, bytes);
        Assert.Equal($"{bin}: sample 0: token id 101,257 at position 5 is not below the vocabulary size 101,257", Failure(dir));
    }

    [Fact]
    public async Task A_corrupted_parquet_data_page_names_the_file_and_the_sample()
    {
        string dir = Dataset("parquet-page");
        string file = Path.Combine(dir, "data", "train-00000-of-00001.parquet");
        long start, end;
        await using (var stream = File.OpenRead(file))
        {
            await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: TestContext.Current.CancellationToken);
            var chunk = reader.Metadata!.RowGroups[0].Columns.Single(c => c.MetaData!.PathInSchema.SequenceEqual(["num_tokens"])).MetaData!;
            start = chunk.DictionaryPageOffset ?? chunk.DataPageOffset;
            end = start + chunk.TotalCompressedSize;
        }
        // The last bytes of the column chunk are its data page's values, the last rows' num_tokens.
        var bytes = File.ReadAllBytes(file);
        for (long i = end - 2; i < end; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(file, bytes);
        Assert.StartsWith($"{file}: sample 3 (row group 0, row 3): num_tokens is ", Failure(dir));
    }

    [Fact]
    public void Any_flipped_byte_of_a_jsonl_zst_part_is_caught_by_its_frame_checksum()
    {
        string dir = Dataset("zstd-checksum");
        string part = Path.Combine(dir, "part-00000.jsonl.zst");
        var clean = File.ReadAllBytes(part);
        // Frame header descriptor, after the 4-byte magic: bit 2 is Content_Checksum_flag (RFC 8878, 3.1.1.1.1).
        Assert.True((clean[4] & 0x04) != 0, "the part's zstd frame carries no content checksum");
        // Without the checksum a flip inside a literal run decodes to other text unnoticed; with it, every flip is named.
        string copy = Path.Combine(sample.Root, "verify-zstd-checksum-part.jsonl.zst");
        for (int at = 16; at < clean.Length; at += clean.Length / 24)
        {
            var bytes = (byte[])clean.Clone();
            bytes[at] ^= 0x20;
            File.WriteAllBytes(copy, bytes);
            Assert.StartsWith($"{copy}: sample ", Failure(copy));
        }
    }

    [Fact]
    public async Task A_flipped_byte_in_a_parquet_text_page_or_its_footer_statistics_is_named()
    {
        string dir = Dataset("parquet-text");
        string file = Path.Combine(dir, "data", "train-00000-of-00001.parquet");
        long end, footer = 0;
        await using (var stream = File.OpenRead(file))
        {
            await using var reader = await ParquetReader.CreateAsync(stream, cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal(Samples, reader.CustomMetadata[NExtLong.Output.Parquet.ParquetRowChecksum.MetadataKey].Split(',').Length);
            var chunk = reader.Metadata!.RowGroups[0].Columns.Single(c => c.MetaData!.PathInSchema.SequenceEqual(["text"])).MetaData!;
            end = chunk.DataPageOffset + chunk.TotalCompressedSize;
            foreach (var c in reader.Metadata.RowGroups[0].Columns) footer = Math.Max(footer, c.MetaData!.DataPageOffset + c.MetaData.TotalCompressedSize);
        }
        var clean = File.ReadAllBytes(file);
        string copy = Path.Combine(sample.Root, "verify-parquet-text-copy.parquet");
        // The text page's values end the column chunk (its header, before them, holds Parquet.Net's min/max copies):
        // a flipped byte there decodes, through snappy, to other text of the same length, which only the row checksum sees.
        for (long at = end - 4096; at < end - 16; at += 512)
        {
            var bytes = (byte[])clean.Clone();
            bytes[at] ^= 0x01;
            File.WriteAllBytes(copy, bytes);
            Assert.StartsWith($"{copy}: sample ", Failure(copy));
        }
        // The footer's copy of the largest text, as a statistic.
        var damaged = (byte[])clean.Clone();
        damaged[FooterText(clean, (int)footer)] ^= 0x01;
        File.WriteAllBytes(copy, damaged);
        Assert.Contains("statistic of column text is none of its values", Failure(copy));
    }

    // Where the footer (from <paramref name="from"/>) copies a text of the dataset: 100 bytes into the first long run of ASCII letters and spaces.
    private static int FooterText(byte[] file, int from)
    {
        for (int i = from, run = 0; i < file.Length; i++)
        {
            run = char.IsAsciiLetter((char)file[i]) || file[i] == (byte)' ' ? run + 1 : 0;
            if (run == 100) return i;
        }
        throw new InvalidOperationException("no text in the footer");
    }

    [Fact]
    public void A_truncated_jsonl_zst_names_the_file_and_the_first_sample_lost()
    {
        string dir = Dataset("truncated");
        string part = Path.Combine(dir, "part-00000.jsonl.zst");
        var bytes = File.ReadAllBytes(part);
        File.WriteAllBytes(part, bytes[..(bytes.Length / 2)]);
        string failure = Failure(dir);
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(part)}: sample [0-3] \\(line [1-4]\\): the zstd stream is truncated or corrupt", failure);

        // Garbage instead of zstd: a one-line error naming the file, from inspect too, even its quick look.
        File.WriteAllBytes(part, Encoding.ASCII.GetBytes("not zstd at all, just text\n"));
        Assert.StartsWith($"{part}: ", Failure(part));
        Assert.StartsWith($"{part}: not zstd-compressed", Failure(part, new VerifyOptions { Quick = true }));
        Assert.StartsWith($"{part}: ", Assert.Throws<InvalidDataException>(() => DatasetInspector.Inspect(part, new StringWriter(), new InspectOptions())).Message);
    }

    [Fact]
    public void A_shifted_span_or_a_lost_record_is_named()
    {
        string dir = Dataset("span");
        string part = Path.Combine(dir, "part-00000.jsonl.zst");
        var lines = ReadParts(part);
        var span = lines[2]["spans"]![1]!;
        span["token_start"] = span["token_start"]!.GetValue<int>() + 3;
        WriteParts(part, lines);
        Assert.StartsWith($"{part}: sample 2 (line 3): span 1 covers tokens [", Failure(dir));

        // The formats and stats.json agree on the count: a part one record short disagrees.
        span["token_start"] = span["token_start"]!.GetValue<int>() - 3;
        WriteParts(part, lines.Take(Samples - 1));
        Assert.Equal($"{dir}: 3 samples, {Path.Combine(dir, "stats.json")} (documents_written) says 4", Failure(dir));
    }

    private static List<JsonNode> ReadParts(string part)
    {
        using var file = File.OpenRead(part);
        using var reader = new StreamReader(new DecompressionStream(file));
        var lines = new List<JsonNode>();
        for (string? line; (line = reader.ReadLine()) is not null;)
            lines.Add(JsonNode.Parse(line)!);
        return lines;
    }

    private static void WriteParts(string part, IEnumerable<JsonNode> lines)
    {
        using var file = File.Create(part);
        using var zstd = new CompressionStream(file);
        zstd.Write(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l.ToJsonString() + "\n"))));
    }

    [Fact]
    public void Packed_data_is_checked_against_the_lengths_pack_recorded_and_its_spans()
    {
        string dir = Dataset("pack");
        string packed = Path.Combine(sample.Root, "verify-packed");
        SequencePacker.Pack([Path.Combine(dir, "mds")], packed, new PackOptions { PackLength = 2 * (T + 1), MinLength = T + 1 }, ct: TestContext.Current.CancellationToken);
        var result = DatasetVerifier.Verify(packed, new VerifyOptions { VocabSize = 100_277 });
        Assert.True(result.Ok, result.Failure);
        Assert.Equal(2, result.Samples);
        Assert.Contains("token ids below 100,277 (--vocab-size)", result.Summary);

        // Spans that no longer tile the sequence: the second document's start moved by one.
        string shard = Path.Combine(packed, "shard.00000.mds");
        var bytes = File.ReadAllBytes(shard);
        int begin = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int domain = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(begin));
        // indices [[0, T+1], [T+1, 2T+2]] after its header 08 02 02: row 1's start.
        int at = begin + 12 + domain + 3 + 8;
        Assert.Equal((uint)(T + 1), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at)));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), T + 2);
        File.WriteAllBytes(shard, bytes);
        Assert.Equal($"{shard}: sample 1 (shard sample 1): indices row 1 [{T + 2}, {2 * T + 2}) does not continue the spans at {T + 1} within the {2 * T + 2:N0} ids", Failure(packed));
    }

    [Fact]
    public void The_cli_verifies_and_names_the_damage_in_one_line()
    {
        string dir = Dataset("cli");
        var (code, stdout, stderr) = CliProcess.Run("verify", dir);
        Assert.True(code == 0, stderr);
        Assert.Equal($"{dir}: verified: 4 samples, 4,100 tokens, formats jsonl.zst, mds, mds-text, megatron, parquet; token ids below 100,277 (cl100k_base)\n", stdout);

        string shard = Shard(dir);
        var bytes = File.ReadAllBytes(shard);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(IdsOffset(bytes, 1) + 4 * 7), CorruptId);
        File.WriteAllBytes(shard, bytes);
        (code, _, stderr) = CliProcess.Run("verify", dir);
        Assert.Equal(1, code);
        Assert.Equal($"nextlong: error: {shard}: sample 1 (shard sample 1): token id 1,380,009,820 at position 7 is not below the vocabulary size 100,277\n", stderr);

        (code, stdout, stderr) = CliProcess.Run("inspect", dir);
        Assert.Equal(1, code);
        Assert.Contains($"verify: FAILED: {shard}: sample 1 (shard sample 1): token id 1,380,009,820", stdout);

        string part = Path.Combine(dir, "part-00000.jsonl.zst");
        File.WriteAllBytes(part, File.ReadAllBytes(part)[..100]);
        foreach (string command in new[] { "verify", "inspect" })
        {
            (code, _, stderr) = CliProcess.Run(command, part);
            Assert.Equal(1, code);
            Assert.StartsWith($"nextlong: error: {part}: ", stderr);
            Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        }
    }
}
