using System.Text;
using NExtLong.Output;
using NExtLong.Output.Mds;
using NExtLong.Synthesis;

namespace NExtLong.Tests.Formats;

public class MdsWriterTests
{
    private const string ProLongConfig =
        "{\"column_encodings\": [\"str\", \"ndarray:uint32\", \"ndarray:uint32\", \"int\"], \"column_names\": [\"domain\", \"indices\", \"input_ids\", \"length\"], "
        + "\"column_sizes\": [null, null, null, 8], \"compression\": null, \"format\": \"mds\", \"hashes\": [], \"size_limit\": 67108864, \"version\": 2}";

    /// <summary>
    /// Two ProLong samples, every byte worked out by hand from the layout: u32 N, u32 offsets[N+1] (absolute),
    /// the config JSON, then per sample a u32 length for each variable-size column followed by the columns in
    /// sorted order (domain, indices, input_ids, length).
    /// </summary>
    [Fact]
    public void Two_sample_shard_matches_the_hand_worked_bytes()
    {
        string dir = TempDir.Create();
        using (var writer = new MdsWriter(dir, ProLongLayout.Columns))
        {
            ProLongLayout.Write(writer, [1, 2, 3], [new TokenRange(0, 3)], "a");
            ProLongLayout.Write(writer, [128000, 70000], [new TokenRange(0, 1), new TokenRange(1, 2)], "bb");
            Assert.Equal(["shard.00000.mds", "index.json"], writer.Complete());
        }
        Assert.Equal(263, ProLongConfig.Length);
        byte[] expected =
        [
            .. Hex.Parse("""
                02000000                          # N = 2
                17010000 45010000 78010000        # offsets 279 = 4 + 12 + 263, 325 = 279 + 46, 376 = 325 + 51 (file end)
                """),
            .. Encoding.ASCII.GetBytes(ProLongConfig),
            .. Hex.Parse("""
                01000000 0b000000 0e000000        # sample 0 lengths: domain 1, indices 11, input_ids 14
                61                                # "a"
                08 01 02 | 00000000 03000000      # indices: ndim 2, uint8 shape [1, 2]; [[0, 3]]
                04 03 | 01000000 02000000 03000000 # input_ids: ndim 1, shape [3]; 1 2 3
                0300000000000000                  # length 3 (int64)
                02000000 13000000 0a000000        # sample 1 lengths: domain 2, indices 19, input_ids 10
                6262                              # "bb"
                08 02 02 | 00000000 01000000 01000000 02000000   # [[0, 1], [1, 2]]
                04 02 | 00f40100 70110100         # 128000, 70000
                0200000000000000                  # length 2
                """),
        ];
        Assert.Equal(Hex.Of(expected), Hex.Of(File.ReadAllBytes(Path.Combine(dir, "shard.00000.mds"))));
        Assert.Equal(
            "{\"shards\": [" + ProLongConfig[..^1].Replace("\"size_limit\"", "\"raw_data\": {\"basename\": \"shard.00000.mds\", \"bytes\": 376, \"hashes\": {}}, \"samples\": 2, \"size_limit\"")
            + ", \"zip_data\": null}], \"version\": 2}",
            File.ReadAllText(Path.Combine(dir, "index.json")));

        var samples = SpecMdsReader.ReadAll(dir);
        Assert.Equal(2, samples.Count);
        Assert.Equal("bb", samples[1]["domain"]);
        Assert.Equal([128000u, 70000u], ((SpecMdsReader.UIntArray)samples[1]["input_ids"]).Values);
    }

    /// <summary>
    /// The one-sample vector in the reference notes, whose SHA-1 was computed there with Python's hashlib over
    /// bytes laid out by mosaicml-streaming's rules: a check against numbers not produced by this code.
    /// </summary>
    [Fact]
    public void Reference_vector_with_sha1_matches_bytes_and_digest()
    {
        string dir = TempDir.Create();
        using (var writer = new MdsWriter(dir, ProLongLayout.Columns, new MdsWriterOptions { Hashes = ["sha1"] }))
        {
            ProLongLayout.Write(writer, [128000, 9906, 1917, 128001], [new TokenRange(0, 2), new TokenRange(2, 4)], "nextlong");
            writer.Complete();
        }
        byte[] shard = File.ReadAllBytes(Path.Combine(dir, "shard.00000.mds"));
        Assert.Equal(346, shard.Length);
        Assert.Equal("01000000190100005a010000", Hex.Of(shard.AsSpan(0, 12)));
        Assert.Equal(
            "080000001300000012000000" + "6e6578746c6f6e67" + "080202000000000200000002000000040000000"
            + "4" + "0400f40100b22600007d07000001f40100" + "0400000000000000",
            Hex.Of(shard.AsSpan(281)));
        Assert.Equal(
            "{\"shards\": [{\"column_encodings\": [\"str\", \"ndarray:uint32\", \"ndarray:uint32\", \"int\"], \"column_names\": [\"domain\", \"indices\", \"input_ids\", \"length\"], "
            + "\"column_sizes\": [null, null, null, 8], \"compression\": null, \"format\": \"mds\", \"hashes\": [\"sha1\"], "
            + "\"raw_data\": {\"basename\": \"shard.00000.mds\", \"bytes\": 346, \"hashes\": {\"sha1\": \"73a33b70e715b4f2dc5063a241d088a3f9f6d5dd\"}}, "
            + "\"samples\": 1, \"size_limit\": 67108864, \"version\": 2, \"zip_data\": null}], \"version\": 2}",
            File.ReadAllText(Path.Combine(dir, "index.json")));
    }

    /// <summary>Fixed-size columns (int, uint32) get no length word: only "s" has one here.</summary>
    [Fact]
    public void Fixed_size_columns_store_no_length()
    {
        string dir = TempDir.Create();
        var columns = new MdsColumn[] { new("s", MdsEncoding.Str), new("n", MdsEncoding.UInt32), new("i", MdsEncoding.Int) };
        using (var writer = new MdsWriter(dir, columns))
        {
            Assert.Equal(["i", "n", "s"], writer.Columns.Select(c => c.Name));
            writer.Write(writer.NewSample().String(writer.Column("s"), "é").UInt32(writer.Column("n"), 0xDEADBEEF).Int(writer.Column("i"), -2));
            writer.Complete();
        }
        byte[] shard = File.ReadAllBytes(Path.Combine(dir, "shard.00000.mds"));
        Assert.Equal(Hex.Of(Hex.Parse("""
            02000000                 # length of s, the only variable-size column
            feffffffffffffff         # i = -2 (int64)
            efbeadde                 # n = 0xdeadbeef (uint32)
            c3a9                     # s = "é" (UTF-8)
            """)), Hex.Of(shard.AsSpan(shard.Length - 18)));
        Assert.Contains("\"column_sizes\": [8, 4, null]", File.ReadAllText(Path.Combine(dir, "index.json")));
        var read = SpecMdsReader.ReadAll(dir)[0];
        Assert.Equal(0xDEADBEEFu, read["n"]);
        Assert.Equal(-2L, read["i"]);
        Assert.Equal("é", read["s"]);
    }

    [Theory]
    [InlineData(255, "04ff")]
    [InlineData(256, "050001")]
    [InlineData(65535, "05ffff")]
    [InlineData(65536, "0600000100")]
    public void NDArray_shape_uses_the_narrowest_unsigned_type(int tokens, string header)
    {
        string dir = TempDir.Create();
        using (var writer = new MdsWriter(dir, [new MdsColumn("input_ids", MdsEncoding.NDArrayUInt32)]))
        {
            writer.Write(writer.NewSample().Tokens(0, new int[tokens]));
            writer.Complete();
        }
        byte[] shard = File.ReadAllBytes(Path.Combine(dir, "shard.00000.mds"));
        int sampleStart = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(shard.AsSpan(4));
        Assert.Equal(header, Hex.Of(shard.AsSpan(sampleStart + 4, header.Length / 2)));
        Assert.Equal(tokens, ((SpecMdsReader.UIntArray)SpecMdsReader.ReadAll(dir)[0]["input_ids"]).Values.Length);
    }

    [Fact]
    public void Shards_are_cut_where_mosaicml_streaming_cuts_them()
    {
        string dir = TempDir.Create();
        var columns = new[] { new MdsColumn("text", MdsEncoding.Str) };
        int config = MdsShardInfo.ConfigJson(columns, null, [], 2048).Length;
        // Each sample costs a 4-byte length, its 96 bytes and a 4-byte offset.
        long perShard = (2048 - 8 - config) / 104;
        using (var writer = new MdsWriter(dir, columns, new MdsWriterOptions { SizeLimit = 2048 }))
        {
            for (int i = 0; i < 40; i++)
                writer.Write(writer.NewSample().String(0, new string((char)('a' + i % 26), 96)));
            // A sample above the limit gets a shard of its own, and no empty shard comes before it.
            writer.Write(writer.NewSample().String(0, new string('z', 5000)));
            writer.Write(writer.NewSample().String(0, "after"));
            writer.Complete();
            Assert.All(writer.Shards, s => Assert.True(s.Samples > 0));
            Assert.Equal(perShard, writer.Shards[0].Samples);
            Assert.All(writer.Shards.Where(s => s.Samples > 1), s => Assert.True(s.RawData.Bytes <= 2048));
            Assert.Contains(writer.Shards, s => s.Samples == 1 && s.RawData.Bytes > 5000);
        }
        var texts = SpecMdsReader.ReadAll(dir).Select(s => (string)s["text"]).ToList();
        Assert.Equal(42, texts.Count);
        Assert.Equal("after", texts[^1]);
    }

    /// <summary>
    /// Shards of tens of MB whose samples straddle the writer's 4 MiB memory segments, and samples above a segment
    /// (9 MB), laid out here by hand from the format (count, offsets, config, samples) and compared byte for byte, then
    /// a second dataset from the same writer's reused memory.
    /// </summary>
    [Fact]
    public void Large_shards_whose_samples_cross_the_writers_memory_segments_keep_their_bytes()
    {
        var columns = new[] { new MdsColumn("text", MdsEncoding.Str) };
        const long limit = 24 << 20;
        byte[] config = Encoding.UTF8.GetBytes(MdsShardInfo.ConfigJson(columns, null, ["xxh64"], limit));
        var random = new Random(3);
        int[] lengths = [.. Enumerable.Range(0, 40).Select(i => i % 13 == 5 ? 9_000_000 : random.Next(1, 3_000_000))];
        string Text(int i) => new((char)('a' + i % 26), lengths[i]);
        string dir = TempDir.Create();
        using (var writer = new MdsWriter(dir, columns, new MdsWriterOptions { SizeLimit = limit, Hashes = ["xxh64"] }))
        {
            for (int i = 0; i < lengths.Length; i++) writer.Write(writer.NewSample().String(0, Text(i)));
            writer.Complete();
            int first = 0;
            foreach (var shard in writer.Shards)
            {
                using var expected = new MemoryStream();
                int samples = (int)shard.Samples;
                var head = new byte[4 + 4 * (samples + 1)];
                System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(head, samples);
                long offset = head.Length + config.Length;
                for (int i = 0; i <= samples; i++)
                {
                    System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(4 + 4 * i), (uint)offset);
                    if (i < samples) offset += 4 + lengths[first + i];
                }
                expected.Write(head);
                expected.Write(config);
                for (int i = first; i < first + samples; i++)
                {
                    expected.Write(BitConverter.GetBytes(lengths[i]));
                    expected.Write(Encoding.UTF8.GetBytes(Text(i)));
                }
                byte[] stored = File.ReadAllBytes(Path.Combine(dir, shard.RawData.Basename));
                Assert.True(expected.ToArray().AsSpan().SequenceEqual(stored), shard.RawData.Basename);
                Assert.Equal(Convert.ToHexStringLower(System.IO.Hashing.XxHash64.Hash(stored)), shard.RawData.Hashes["xxh64"]);
                first += samples;
            }
            Assert.Equal(lengths.Length, first);
            Assert.True(writer.Shards.Count >= 3, $"{writer.Shards.Count} shards");
        }
        Assert.Equal(lengths.Length, SpecMdsReader.ReadAll(dir).Count);
    }

    [Fact]
    public void Zstd_shards_are_one_frame_with_content_size_and_hashed_both_ways()
    {
        string dir = TempDir.Create();
        using (var writer = new MdsWriter(dir, TextMdsWriter.Columns, new MdsWriterOptions { Compression = "zstd:7", Hashes = ["xxh64", "sha1"], SizeLimit = 1 << 16 }))
        {
            for (int i = 0; i < 50; i++)
            {
                writer.Write(writer.NewSample()
                    .String(writer.Column("domain"), "d")
                    .String(writer.Column("id"), $"doc-{i}")
                    .Json(writer.Column("provenance"), Encoding.UTF8.GetBytes($"{{\"n\": {i}}}"))
                    .String(writer.Column("text"), $"Text {i} é 😀 " + new string('x', 3000)));
            }
            var files = writer.Complete();
            Assert.All(files.SkipLast(1), f => Assert.EndsWith(".mds.zstd", f));
            Assert.True(files.Count > 2);
        }
        Assert.DoesNotContain(Directory.GetFiles(dir), f => f.EndsWith(".tmp", StringComparison.Ordinal));
        var samples = SpecMdsReader.ReadAll(dir);
        Assert.Equal(50, samples.Count);
        Assert.Equal($"Text 49 é 😀 " + new string('x', 3000), samples[49]["text"]);
        Assert.Equal(49, ((System.Text.Json.JsonElement)samples[49]["provenance"]).GetProperty("n").GetInt32());
        Assert.Contains("\"compression\": \"zstd:7\"", File.ReadAllText(Path.Combine(dir, "index.json")));

        // The library's own reader takes the same files.
        using var dataset = MdsDataset.Open(dir);
        Assert.Equal(50, dataset.SampleCount);
        var sample = dataset.Read(7);
        Assert.Equal("doc-7", sample.GetString(sample.Column("id")));
    }

    [Fact]
    public void Known_xxhash_digests_are_written_big_endian_as_python_xxhash_prints_them()
    {
        using var xxh64 = new MdsHash("xxh64");
        Assert.Equal("ef46db3751d8e999", xxh64.HexDigestAndReset());
        using var xxh3 = new MdsHash("xxh3_64");
        Assert.Equal("2d06800538d394c2", xxh3.HexDigestAndReset());
        using var sha1 = new MdsHash("sha1");
        sha1.Append("abc"u8);
        Assert.Equal("a9993e364706816aba3e25717850c26c9cd0d89d", sha1.HexDigestAndReset());
    }

    [Fact]
    public void Python_json_escaping_is_reproduced()
    {
        string json = new PythonJsonWriter().StartObject().Name("k/é").String("a\"b\\c\n\t\u0001\u007f~ 😀").Name("n").Null().EndObject().ToString();
        Assert.Equal("{\"k/\\u00e9\": \"a\\\"b\\\\c\\n\\t\\u0001\\u007f~ \\ud83d\\ude00\", \"n\": null}", json);
    }

    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(0.5, "0.5")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.000123456, "0.000123456")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(0.30000000000000004, "0.30000000000000004")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.0, "0.0")]
    [InlineData(123456.789, "123456.789")]
    [InlineData(1.5e-07, "1.5e-07")]
    [InlineData(1e300, "1e+300")]
    [InlineData(5e-324, "5e-324")]
    [InlineData(12345678901234567890.0, "1.2345678901234567e+19")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.NegativeInfinity, "-Infinity")]
    public void Python_float_repr_is_reproduced(double value, string python)
    {
        // The expected strings are Python's repr(value), as json.dumps writes floats.
        Assert.Equal(python, new PythonJsonWriter().Float(value).ToString());
    }

    [Fact]
    public void Text_mds_provenance_is_the_bytes_of_python_json_dumps()
    {
        string dir = TempDir.Create();
        var document = new SynthesizedDocument("Ünïcode 𝔢 text", 7, "doc-é/1", "wiki", 10, 1, 2, 1, 0, new FalseNegativeCounts(0, 2, 3),
        [
            new DocumentSpan { Role = SpanRole.Meta, MetaChunk = 0, DocumentId = "doc-é/1", Source = "wiki", CharEnd = 5, TokenEnd = 3 },
            new DocumentSpan { Role = SpanRole.Negative, MetaChunk = 0, ChunkId = 42, DocumentId = "𠝹 \"q\"\t日", Source = "wiki", Rank = 1, Similarity = 1.0f, CharStart = 5, CharEnd = 9, TokenStart = 3, TokenEnd = 5 },
            new DocumentSpan { Role = SpanRole.Negative, MetaChunk = 0, ChunkId = 7, DocumentId = "😀", Source = "wiki", Rank = 2, Similarity = 1e-05f, CharStart = 9, CharEnd = 10, TokenStart = 5, TokenEnd = 7, Truncated = true },
        ]);
        using (var writer = new TextMdsWriter(dir, new MdsWriterOptions()))
        {
            writer.Write("id-1", document);
            writer.Complete();
        }
        var sample = Assert.Single(SpecMdsReader.ReadAll(Path.Combine(dir, TextMdsWriter.Folder)));
        // Python 3: json.dumps of the same dict (MDSWriter's json encoding), the similarities round(float32, 6).
        const string expected =
            """{"num_tokens": 7, "meta_document": {"id": "doc-\u00e9/1", "source": "wiki", "chars": 10, "meta_chunks": 1}, "k": 2, "attempts": 1, "near_duplicates_skipped": 0, "false_negatives_skipped": {"near_duplicate_cosine": 0, "shingle_containment": 3, "shingle_jaccard": 2}, "spans": ["""
            + """{"role": "meta", "meta_chunk": 0, "chunk_id": -1, "document": "doc-\u00e9/1", "source": "wiki", "rank": 0, "similarity": null, "char_start": 0, "char_end": 5, "token_start": 0, "token_end": 3, "truncated": false}, """
            + """{"role": "negative", "meta_chunk": 0, "chunk_id": 42, "document": "\ud841\udf79 \"q\"\t\u65e5", "source": "wiki", "rank": 1, "similarity": 1.0, "char_start": 5, "char_end": 9, "token_start": 3, "token_end": 5, "truncated": false}, """
            + """{"role": "negative", "meta_chunk": 0, "chunk_id": 7, "document": "\ud83d\ude00", "source": "wiki", "rank": 2, "similarity": 1e-05, "char_start": 9, "char_end": 10, "token_start": 5, "token_end": 7, "truncated": true}]}""";
        Assert.Equal(expected, ((System.Text.Json.JsonElement)sample["provenance"]).GetRawText());
        Assert.Equal("Ünïcode 𝔢 text", sample["text"]);
    }

    /// <summary>
    /// A full shard is written on a thread of its own while the next fills: its failure (here a full disk) must still
    /// reach the caller, at the next shard, checkpoint or end, and leave neither its temporary file nor a dataset. With
    /// a forecast (<see cref="MdsWriter.Expect"/>) the shards go to their files as they fill, and the same holds.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_shard_that_fails_to_write_fails_the_writer_and_leaves_no_file(bool forecast)
    {
        var mount = ScratchMount.TryCreate("1m");
        if (mount is null) TestRequirements.Missing("mounting a tmpfs is not permitted here (the tests mount one as root)");
        using var disk = mount!;
        string dir = Path.Combine(disk.Path, "mds");
        var columns = new[] { new MdsColumn("text", MdsEncoding.Str) };
        IOException? failure = null;
        using (var writer = new MdsWriter(dir, columns, new MdsWriterOptions { SizeLimit = 300_000 }))
        {
            // Told the samples to come, the writer puts each shard in its file as it fills, on the caller's thread.
            if (forecast) writer.Expect(30);
            try
            {
                // 3 MB in 100 kB samples: the fourth shard no longer fits the 1 MB disk.
                for (int i = 0; i < 30; i++) writer.Write(writer.NewSample().String(0, new string((char)('a' + i % 26), 100_000)));
                writer.Complete();
            }
            catch (IOException e)
            {
                failure = e;
            }
            Assert.NotNull(failure);
            Assert.Contains("space", failure.Message, StringComparison.OrdinalIgnoreCase);
            // The shards written before it wait under their temporary names; the one that failed left nothing (a streamed
            // one is deleted when the writer is abandoned, below).
            if (!forecast) Assert.Equal(writer.Shards.Count, Directory.EnumerateFiles(dir, "*.tmp").Count());
            Assert.True(writer.Shards.Count >= 1);
        }
        Assert.Empty(Directory.GetFiles(dir));
    }

    /// <summary>
    /// With the samples to come forecast (<see cref="MdsWriter.Expect"/>), shards of equal-size samples go to their
    /// files as they fill; a forecast that holds, one too high or too low, samples of other sizes, shards cut by the
    /// size limit, hashes and checkpoints all give the bytes, names and states of a writer told nothing.
    /// </summary>
    [Fact]
    public void Forecast_shards_go_to_their_files_as_they_fill_and_are_the_same_bytes_either_way()
    {
        var columns = new[] { new MdsColumn("text", MdsEncoding.Str) };
        int streamedWindows = 0;
        for (int seed = 0; seed < 60; seed++)
        {
            var random = new Random(seed);
            var options = new MdsWriterOptions
            {
                SizeLimit = random.Next(1024, 6000),
                Hashes = random.Next(2) == 0 ? [] : ["sha1", "xxh64"],
            };
            string told = TempDir.Create(), untold = TempDir.Create();
            using (var forecast = new MdsWriter(told, columns, options))
            using (var plain = new MdsWriter(untold, columns, options))
            {
                int windows = random.Next(1, 5);
                for (int w = 0; w < windows; w++)
                {
                    int count = random.Next(1, 40);
                    int size = random.Next(1, 400);
                    // Mostly windows of one size, as the tokenized format's samples are; in some, others mixed in.
                    bool mixed = random.Next(4) == 0;
                    var sizes = Enumerable.Range(0, count).Select(_ => mixed && random.Next(4) == 0 ? random.Next(1, 400) : size).ToList();
                    int expected = random.Next(5) switch
                    {
                        0 => -1,
                        1 => count + random.Next(1, 5),
                        2 => Math.Max(0, count - random.Next(1, 5)),
                        _ => count,
                    };
                    if (expected >= 0) forecast.Expect(expected);
                    for (int i = 0; i < count; i++)
                    {
                        string text = new((char)('a' + (w * 7 + i) % 26), sizes[i]);
                        forecast.Write(forecast.NewSample().String(0, text));
                        plain.Write(plain.NewSample().String(0, text));
                    }
                    if (expected == count && sizes.All(x => x == size))
                    {
                        // Held: the shard being filled has its file already; a plain writer holds it in memory (and
                        // may not have begun the files of the full shards it writes on a thread of its own).
                        streamedWindows++;
                        int inFiles = Directory.GetFiles(told, "*.tmp").Length, plainFiles = Directory.GetFiles(untold, "*.tmp").Length;
                        Assert.True(inFiles > plainFiles, $"seed {seed} window {w}: {inFiles} shard files, {plainFiles} without the forecast");
                    }
                    if (w + 1 < windows)
                        Assert.Equal(plain.Checkpoint(), forecast.Checkpoint(), WriterCheckpointComparer);
                }
                Assert.Equal(plain.Complete(), forecast.Complete());
            }
            var names = Directory.GetFiles(untold).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
            Assert.Equal(names, Directory.GetFiles(told).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
            foreach (string name in names)
                Assert.True(File.ReadAllBytes(Path.Combine(untold, name!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(told, name!))), $"seed {seed}: {name} differs");
        }
        Assert.True(streamedWindows >= 20, $"only {streamedWindows} windows had a forecast that held");
    }

    private static readonly IEqualityComparer<WriterCheckpoint> WriterCheckpointComparer = EqualityComparer<WriterCheckpoint>.Create(
        (a, b) => a!.Files.SequenceEqual(b!.Files) && a.State == b.State, c => c.State.GetHashCode());

    /// <summary>
    /// The synthesis loop's forecast reaches the MDS writer through the format threads and the tokenized formats'
    /// writer: the shard is in its file before the checkpoint, and the dataset is the one written without it.
    /// </summary>
    [Fact]
    public void A_forecast_reaches_the_mds_shard_through_the_writer_threads()
    {
        // 300,000 ids a document: 1.2 MB samples, written past the file stream's buffer as they come.
        var documents = Enumerable.Range(0, 3).Select(d => new SynthesizedDocument("text", 300_000, $"doc-{d}", "web", 4, 1, 1, 1, 0, new FalseNegativeCounts(0, 0, 0), [])
        {
            TokenIds = [.. Enumerable.Range(0, 300_000).Select(i => (i * 7 + d) % 100_000)],
        }).ToList();
        string told = TempDir.Create(), untold = TempDir.Create();
        foreach (string dir in new[] { told, untold })
        {
            var tokenized = new TokenizingDatasetWriter(SpecialTokenPolicy.None, [new ProLongMdsWriter(dir, new MdsWriterOptions())]);
            using var writer = new BackgroundDatasetWriter(new CompositeDatasetWriter([tokenized]), capacity: 4);
            if (dir == told) writer.Expect(documents.Count);
            for (int d = 0; d < documents.Count; d++) writer.Write($"id-{d}", documents[d]);
            writer.Drain();
            long inFile = Directory.GetFiles(Path.Combine(dir, ProLongMdsWriter.Folder, "web"), "*.tmp").Sum(f => new FileInfo(f).Length);
            if (dir == told) Assert.True(inFile >= 2 * 1_200_000, $"{inFile} bytes of the shard in its file before the checkpoint");
            else Assert.Equal(0, inFile);
            writer.Checkpoint();
            writer.Complete();
        }
        string shard = Path.Combine(ProLongMdsWriter.Folder, "web", "shard.00000.mds");
        Assert.True(File.ReadAllBytes(Path.Combine(untold, shard)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(told, shard))));
        Assert.Equal(File.ReadAllText(Path.Combine(untold, ProLongMdsWriter.Folder, "index.json")), File.ReadAllText(Path.Combine(told, ProLongMdsWriter.Folder, "index.json")));
    }

    /// <summary>A writer abandoned while a forecast shard is in its file leaves nothing behind.</summary>
    [Fact]
    public void Abandoned_writer_deletes_the_shard_it_was_streaming()
    {
        string dir = TempDir.Create();
        using (var writer = new MdsWriter(dir, ProLongLayout.Columns))
        {
            writer.Expect(10);
            for (int i = 0; i < 6; i++) ProLongLayout.Write(writer, [1, 2, 3, 4], [new TokenRange(0, 4)], "x");
            Assert.Single(Directory.GetFiles(dir, "*.tmp"));
        }
        Assert.Empty(Directory.GetFiles(dir));
    }

    [Fact]
    public void Abandoned_writer_leaves_no_loadable_dataset_and_bad_input_is_refused()
    {
        string dir = TempDir.Create();
        using (var writer = new MdsWriter(dir, ProLongLayout.Columns, new MdsWriterOptions { SizeLimit = 1024 }))
        {
            for (int i = 0; i < 20; i++) ProLongLayout.Write(writer, [1, 2, 3, 4, 5, 6, 7, 8], [new TokenRange(0, 8)], "x");
            Assert.Throws<ArgumentException>(() => ProLongLayout.Write(writer, [1, 2], [new TokenRange(0, 1)], "x"));
            Assert.Throws<ArgumentException>(() => writer.NewSample().Tokens(writer.Column("input_ids"), []));
            Assert.Throws<ArgumentException>(() => writer.NewSample().Int(writer.Column("domain"), 1));
        }
        Assert.Empty(Directory.GetFiles(dir));
        Assert.ThrowsAny<ArgumentException>(() => new MdsWriterOptions { Compression = "gz" });
        Assert.ThrowsAny<ArgumentException>(() => new MdsWriterOptions { Hashes = ["pkl"] });
    }
}
