using NExtLong.Output;
using NExtLong.Output.Mds;
using NExtLong.Packing;

namespace NExtLong.Tests.Formats;

public class PackAndMixTests
{
    /// <summary>An MDS input of documents whose ids say which document and position they are: doc * 1,000,000 + position.</summary>
    private static string Documents(string dir, string domain, IReadOnlyList<int> lengths, int firstDoc = 0, MdsWriterOptions? options = null)
    {
        using var writer = new MdsWriter(dir, ProLongLayout.Columns, options);
        for (int d = 0; d < lengths.Count; d++)
        {
            var ids = new int[lengths[d]];
            for (int i = 0; i < ids.Length; i++) ids[i] = (firstDoc + d) * 1_000_000 + i;
            ProLongLayout.Write(writer, ids, [new TokenRange(0, ids.Length)], domain);
        }
        writer.Complete();
        return dir;
    }

    /// <summary>Checks that every sequence's spans tile it and that each span is one whole input document, in order; returns the documents seen.</summary>
    private static List<int> CheckSpansCoverEveryToken(List<SpecMdsReader.Sample> sequences, int packLength)
    {
        var seen = new List<int>();
        foreach (var s in sequences)
        {
            var ids = ((SpecMdsReader.UIntArray)s["input_ids"]).Values;
            var indices = (SpecMdsReader.UIntArray)s["indices"];
            Assert.Equal(2, indices.Shape[1]);
            Assert.True(ids.Length <= packLength);
            Assert.Equal((long)ids.Length, s["length"]);
            uint at = 0;
            for (int row = 0; row < indices.Shape[0]; row++)
            {
                uint start = indices.Values[2 * row], end = indices.Values[2 * row + 1];
                Assert.Equal(at, start);
                Assert.True(end > start);
                int doc = (int)(ids[start] / 1_000_000);
                for (uint i = start; i < end; i++)
                    Assert.Equal((uint)(doc * 1_000_000 + (i - start)), ids[i]);
                seen.Add(doc);
                at = end;
            }
            Assert.Equal((uint)ids.Length, at);
        }
        return seen;
    }

    [Fact]
    public void Packs_64K_documents_eight_to_a_512K_sequence_with_spans_covering_every_token()
    {
        string root = TempDir.Create();
        string input = Documents(Path.Combine(root, "in64k"), "nextlong-64k", Enumerable.Repeat(65_536, 20).ToList());
        string output = Path.Combine(root, "packed");
        var result = SequencePacker.Pack([input], output, new PackOptions { PackLength = 524_288, Seed = 7 }, ct: TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Sequences);
        Assert.Equal(16, result.Documents);
        Assert.Equal(2L * 524_288, result.Tokens);
        Assert.Equal(1, result.DroppedShortSequences);
        Assert.Equal(4, result.DroppedDocuments);
        var sequences = SpecMdsReader.ReadAll(output);
        Assert.All(sequences, s => Assert.Equal(524_288L, s["length"]));
        Assert.All(sequences, s => Assert.Equal([8, 2], ((SpecMdsReader.UIntArray)s["indices"]).Shape));
        Assert.All(sequences, s => Assert.Equal("nextlong-64k", s["domain"]));
        var seen = CheckSpansCoverEveryToken(sequences, 524_288);
        Assert.Equal(16, seen.Distinct().Count());
        // Shuffled: not simply the first sixteen in order.
        Assert.NotEqual(Enumerable.Range(0, 16), seen);

        // Deterministic: the same seed gives the same bytes, another seed another order.
        string again = Path.Combine(root, "again");
        SequencePacker.Pack([input], again, new PackOptions { PackLength = 524_288, Seed = 7 }, ct: TestContext.Current.CancellationToken);
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "shard.00000.mds")), File.ReadAllBytes(Path.Combine(again, "shard.00000.mds")));
        string other = Path.Combine(root, "other");
        SequencePacker.Pack([input], other, new PackOptions { PackLength = 524_288, Seed = 8 }, ct: TestContext.Current.CancellationToken);
        Assert.NotEqual(seen, CheckSpansCoverEveryToken(SpecMdsReader.ReadAll(other), 524_288));

        string card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains("| sequences | 2 |", card);
        Assert.Contains("| fill of the pack length | 100.00 % |", card);
        Assert.Contains("SEQ_TOKENS=524288", File.ReadAllText(Path.Combine(output, "train-prolong.sh")));
    }

    [Fact]
    public void Packs_uneven_documents_in_order_keeping_existing_spans_and_dropping_documents_too_long()
    {
        string root = TempDir.Create();
        string input = Path.Combine(root, "in");
        using (var writer = new MdsWriter(input, ProLongLayout.Columns, new MdsWriterOptions { Compression = "zstd", SizeLimit = 4096 }))
        {
            int doc = 0;
            foreach (int length in new[] { 300, 900, 5000, 200, 1000, 700, 80 })
            {
                var ids = Enumerable.Range(0, length).Select(i => doc * 1_000_000 + i).ToArray();
                doc++;
                ProLongLayout.Write(writer, ids, [new TokenRange(0, length)], "d");
            }
            // An already packed sample of two documents keeps its two spans.
            var two = Enumerable.Range(0, 50).Select(i => 7_000_000 + i).Concat(Enumerable.Range(0, 60).Select(i => 8_000_000 + i)).ToArray();
            ProLongLayout.Write(writer, two, [new TokenRange(0, 50), new TokenRange(50, 110)], "d");
            writer.Complete();
        }
        string output = Path.Combine(root, "out");
        var result = SequencePacker.Pack([input], output, new PackOptions { PackLength = 2048, MinLength = 1, Shuffle = false, Domain = "packed" }, ct: TestContext.Current.CancellationToken);

        var sequences = SpecMdsReader.ReadAll(output);
        Assert.Equal(1, result.DroppedLongDocuments);
        Assert.Equal(5000, result.LongestDocument);
        // Greedy, whole documents: [300, 900, 200] | [1000, 700, 80, 50+60]; the 5000 is dropped.
        Assert.Equal([1400L, 1890L], sequences.Select(s => (long)s["length"]));
        Assert.Equal([0, 1, 3, 4, 5, 6, 7, 8], CheckSpansCoverEveryToken(sequences, 2048));
        Assert.All(sequences, s => Assert.Equal("packed", s["domain"]));
    }

    [Fact]
    public void Pack_refuses_untokenized_input_its_own_input_folder_and_an_existing_dataset()
    {
        string root = TempDir.Create();
        string text = Path.Combine(root, "text");
        using (var writer = new MdsWriter(text, TextMdsWriter.Columns))
        {
            writer.Write(writer.NewSample().String(0, "d").String(1, "x").Json(2, "{}"u8).String(3, "hello"));
            writer.Complete();
        }
        Assert.Contains("input_ids", Assert.Throws<InvalidDataException>(() => SequencePacker.Pack([text], Path.Combine(root, "o"), new PackOptions(), ct: TestContext.Current.CancellationToken)).Message);
        string tokens = Documents(Path.Combine(root, "tokens"), "d", [10, 10]);
        Assert.Throws<ArgumentException>(() => SequencePacker.Pack([tokens], tokens, new PackOptions(), ct: TestContext.Current.CancellationToken));
        string done = Path.Combine(root, "done");
        SequencePacker.Pack([tokens], done, new PackOptions { PackLength = 20 }, ct: TestContext.Current.CancellationToken);
        Assert.Contains("--overwrite", Assert.Throws<IOException>(() => SequencePacker.Pack([tokens], done, new PackOptions { PackLength = 20 }, ct: TestContext.Current.CancellationToken)).Message);
        SequencePacker.Pack([tokens], done, new PackOptions { PackLength = 20, Overwrite = true }, ct: TestContext.Current.CancellationToken);
    }

    [Fact]
    public void Mixes_one_to_two_by_samples_deterministically_without_repeats()
    {
        string root = TempDir.Create();
        string a = Documents(Path.Combine(root, "a"), "nextlong-512k", Enumerable.Repeat(64, 30).ToList());
        string b = Documents(Path.Combine(root, "b"), "nextlong-64k", Enumerable.Repeat(32, 90).ToList(), firstDoc: 100);
        File.WriteAllText(Path.Combine(root, "LICENSES.tsv"), "package\tlicense\nsomething\tMIT\n");
        string output = Path.Combine(root, "mix");
        var result = DatasetMixer.Mix([MixInput.Parse(a + "@1"), MixInput.Parse(b + "@2")], output, new MixOptions { Seed = 3 }, ct: TestContext.Current.CancellationToken);

        Assert.Equal(90, result.Samples);
        Assert.Equal([30L, 60L], result.Taken);
        var samples = SpecMdsReader.ReadAll(output);
        Assert.Equal(30, samples.Count(s => (string)s["domain"] == "nextlong-512k"));
        Assert.Equal(60, samples.Count(s => (string)s["domain"] == "nextlong-64k"));
        var docs = samples.Select(s => ((SpecMdsReader.UIntArray)s["input_ids"]).Values[0] / 1_000_000).ToList();
        Assert.Equal(docs.Count, docs.Distinct().Count());
        // Interleaved, not one input after the other.
        Assert.Equal(2, samples.Take(30).Select(s => (string)s["domain"]).Distinct().Count());

        string again = Path.Combine(root, "mix2");
        DatasetMixer.Mix([MixInput.Parse(a + "@1"), MixInput.Parse(b + "@2")], again, new MixOptions { Seed = 3 }, ct: TestContext.Current.CancellationToken);
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "shard.00000.mds")), File.ReadAllBytes(Path.Combine(again, "shard.00000.mds")));

        string card = File.ReadAllText(Path.Combine(output, "README.md"));
        Assert.Contains("(1 : 2)", card);
        Assert.Contains("| something | MIT |", card);
        Assert.True(File.Exists(Path.Combine(output, "train-prolong.sh")));
    }

    [Fact]
    public void Mix_repeats_when_asked_for_more_and_refuses_different_columns()
    {
        string root = TempDir.Create();
        string a = Documents(Path.Combine(root, "a"), "a", Enumerable.Repeat(8, 5).ToList());
        string b = Documents(Path.Combine(root, "b"), "b", Enumerable.Repeat(8, 50).ToList(), firstDoc: 10);
        var result = DatasetMixer.Mix([new MixInput(a, 1), new MixInput(b, 1)], Path.Combine(root, "m"), new MixOptions { NumSamples = 24 }, ct: TestContext.Current.CancellationToken);
        Assert.Equal([12L, 12L], result.Taken);
        Assert.Equal([7L, 0L], result.Repeated);
        Assert.Equal(24, SpecMdsReader.ReadAll(Path.Combine(root, "m")).Count);

        string text = Path.Combine(root, "text");
        using (var writer = new MdsWriter(text, TextMdsWriter.Columns))
        {
            writer.Write(writer.NewSample().String(0, "d").String(1, "x").Json(2, "{}"u8).String(3, "hello"));
            writer.Complete();
        }
        Assert.Contains("same columns", Assert.Throws<InvalidDataException>(() => DatasetMixer.Mix([new MixInput(a, 1), new MixInput(text, 1)], Path.Combine(root, "bad"), new MixOptions(), ct: TestContext.Current.CancellationToken)).Message);
        Assert.Equal(new MixInput("x/y@z", 1), MixInput.Parse("x/y@z"));
        Assert.Throws<FormatException>(() => MixInput.Parse("x@-1"));
    }
}
