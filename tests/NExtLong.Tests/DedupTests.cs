using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using NExtLong.Chunking;
using NExtLong.Dedup;
using NExtLong.Index;
using NExtLong.Pipeline;
using Parquet;
using Parquet.Schema;

namespace NExtLong.Tests;

/// <summary>`dedup`: what is removed and kept, what the output holds, and that it is the same for any W and after a kill.</summary>
public class DedupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DedupStats Dedup(string outDir, DedupMethod method = DedupMethod.MinHash, params string[] inputs)
        => DedupStage.Run(new DedupStage.Options { Corpus = new() { Inputs = inputs }, OutDir = outDir, Method = method, Execution = new() { Threads = 2 } }, ct: Ct).Stats!;

    private static List<string> Lines(string zst)
    {
        using var reader = new StreamReader(new ZstdSharp.DecompressionStream(File.OpenRead(zst)));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    private static List<JsonElement> Duplicates(string outDir)
        => Lines(Path.Combine(outDir, DedupStage.DuplicatesFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private static string Record(string id, string text) => JsonSerializer.Serialize(new { id, text });

    // Distinct words (letters: shingles turn digit runs into "0"), so that shingle sets overlap only where texts were copied.
    private static string RandomText(Random random, int words) => string.Join(' ', Enumerable.Range(0, words).Select(_ => RandomWord(random)));

    private static string RandomWord(Random random) => string.Create(8, random, (span, r) => { for (int i = 0; i < span.Length; i++) span[i] = (char)('a' + r.Next(26)); });

    [Fact]
    public void Exact_keys_ignore_nfc_case_and_whitespace_only()
    {
        Assert.Equal(ExactKey.Of("Caf\u00E9  au\tlait\n"), ExactKey.Of("  CAFE\u0301 AU LAIT"));
        Assert.NotEqual(ExactKey.Of("cafe au lait"), ExactKey.Of("café au lait"));
        Assert.NotEqual(ExactKey.Of("a b"), ExactKey.Of("ab"));
        Assert.NotEqual(ExactKey.Of("a, b"), ExactKey.Of("a b"));
    }

    [Fact]
    public void Permutations_are_seeded_in_range_and_the_s_curve_has_datatrove_values()
    {
        var a = new MinHashSignature();
        var b = new MinHashSignature();
        for (int i = 0; i < MinHashSignature.Hashes; i++)
        {
            Assert.Equal(a.Permutation(i), b.Permutation(i));
            Assert.InRange(a.Permutation(i).A, 1UL, MinHashSignature.Prime - 1);
            Assert.InRange(a.Permutation(i).B, 0UL, MinHashSignature.Prime - 1);
        }
        Assert.Equal(0.924, MinHashSignature.CandidateProbability(0.8), 3);
        Assert.Equal(0.56, MinHashSignature.CandidateProbability(0.7), 2);
        // Minima are the exact (a·x + b) mod p of some shingle.
        ulong[] shingles = [12345UL, ulong.MaxValue, 1UL << 62];
        var signature = new ulong[MinHashSignature.Hashes];
        a.Compute(shingles, signature);
        for (int i = 0; i < MinHashSignature.Hashes; i++)
        {
            var (m, c) = a.Permutation(i);
            ulong expected = shingles.Min(x => (ulong)(((UInt128)m * (x % MinHashSignature.Prime) + c) % MinHashSignature.Prime));
            Assert.Equal(expected, signature[i]);
        }
    }

    [Fact]
    public void Exact_and_near_copies_go_distinct_documents_stay_and_the_first_in_input_order_is_kept()
    {
        string dir = TempDir.Create();
        var random = new Random(1);
        string original = RandomText(random, 400), other = RandomText(random, 400);
        var words = original.Split(' ');
        words[100] = "changed";
        string near = string.Join(' ', words);
        // The near copy comes first in the input, so it is the one kept; the original and the exact copy go.
        string[] lines =
        [
            Record("near", near),
            Record("other", other),
            Record("original", original),
            Record("exact", "  " + original.ToUpperInvariant().Replace(" ", "\n ") + "\t"),
            Record("short", "too short"),
            Record("short-copy", "Too  short"),
        ];
        string corpus = Path.Combine(dir, "c.jsonl");
        File.WriteAllLines(corpus, lines);
        string outDir = Path.Combine(dir, "out");
        var stats = Dedup(outDir, DedupMethod.MinHash, corpus);
        Assert.Equal(6, stats.DocumentsRead);
        Assert.Equal(3, stats.DocumentsKept);
        Assert.Equal(1, stats.RemovedExact);
        Assert.Equal(2, stats.RemovedNear);
        Assert.Equal(2, stats.DocumentsWithoutSignature);
        Assert.Equal([lines[0], lines[1], lines[4]], Lines(Path.Combine(outDir, "c-00000.jsonl.zst")));
        var removed = Duplicates(outDir);
        Assert.Equal(["original", "exact", "short-copy"], removed.Select(d => d.GetProperty("id").GetString()));
        Assert.Equal(["near", "near", "short"], removed.Select(d => d.GetProperty("kept_id").GetString()));
        Assert.Equal(["near", "near", "exact"], removed.Select(d => d.GetProperty("kind").GetString()));
        double jaccard = Shingles.Jaccard(Shingles.Of(near), Shingles.Of(original));
        Assert.Equal(jaccard, removed[0].GetProperty("jaccard").GetDouble(), 5);
        Assert.Equal(JsonValueKind.Null, removed[2].GetProperty("estimated_jaccard").ValueKind);

        // Exact only: the near copy stays.
        var exactOnly = Dedup(Path.Combine(dir, "exact"), DedupMethod.Exact, corpus);
        Assert.Equal((2L, 0L, 0L), (exactOnly.RemovedExact, exactOnly.RemovedNear, exactOnly.DocumentsWithoutSignature));
        Assert.Equal(["exact", "short-copy"], Duplicates(Path.Combine(dir, "exact")).Select(d => d.GetProperty("id").GetString()));
    }

    [Fact]
    public void Every_input_field_is_kept_byte_for_byte_and_parquet_rows_become_json()
    {
        string dir = TempDir.Create();
        var random = new Random(2);
        string text = RandomText(random, 50);
        // Odd spacing, escapes, nested values, field order: none of it may change.
        string[] lines =
        [
            "{\"meta\": {\"url\": \"http://x/\\u00e9\", \"score\": 1.50}, \"text\": " + JsonSerializer.Serialize(text) + ",   \"id\":7 }",
            "{\"id\":\"dup\",\"text\":" + JsonSerializer.Serialize(text) + "}",
            "{\"text\":\"caf\\u00e9 \\ud83d\\ude00 five words here now\", \"tags\": [1, \"two\", null]}",
        ];
        string jsonl = Path.Combine(dir, "a.jsonl.gz");
        using (var gz = new GZipStream(File.Create(jsonl), CompressionLevel.Fastest))
            gz.Write(Encoding.UTF8.GetBytes(string.Join("\r\n", lines) + "\n"));
        string parquet = Path.Combine(dir, "b.parquet");
        var schema = new ParquetSchema(new DataField<string>("id"), new DataField<string>("text"), new DataField<double?>("score"), new DataField<long>("n"));
        CorpusReaderParquetTests.Write(parquet, schema,
        [
            new() { ["id"] = "p0", ["text"] = RandomText(random, 30), ["score"] = 0.25, ["n"] = 3L },
            new() { ["id"] = "p1", ["text"] = text, ["score"] = null, ["n"] = 4L },
        ], Parquet.CompressionMethod.Snappy, 1).GetAwaiter().GetResult();
        string outDir = Path.Combine(dir, "out");
        var stats = Dedup(outDir, DedupMethod.MinHash, $"a={jsonl}", $"b={parquet}");
        Assert.Equal(2, stats.RemovedExact);
        Assert.Equal([lines[0], lines[2]], Lines(Path.Combine(outDir, "a-00000.jsonl.zst")));
        var row = JsonDocument.Parse(Lines(Path.Combine(outDir, "b-00000.jsonl.zst")).Single()).RootElement;
        Assert.Equal(["id", "text", "score", "n"], row.EnumerateObject().Select(p => p.Name));
        Assert.Equal(("p0", 0.25, 3L), (row.GetProperty("id").GetString(), row.GetProperty("score").GetDouble(), row.GetProperty("n").GetInt64()));
        Assert.Equal(["dup", "p1"], Duplicates(outDir).Select(d => d.GetProperty("id").GetString()));
        Assert.All(Duplicates(outDir), d => Assert.Equal("7", d.GetProperty("kept_id").GetString()));
    }

    /// <summary>
    /// Pairs of a random text and an edited copy (a share of its words replaced), with the Jaccard of their shingle sets
    /// measured: copies at J ≥ 0.9 are removed (P ≥ 0.9996 each by the S-curve), those at J ≤ 0.3 kept (P ≤ 0.001).
    /// </summary>
    [Fact]
    public void Copies_with_high_jaccard_are_removed_and_low_jaccard_kept()
    {
        string dir = TempDir.Create();
        var random = new Random(3);
        var lines = new List<string>();
        var jaccards = new Dictionary<string, double>();
        for (int pair = 0; pair < 300; pair++)
        {
            string text = RandomText(random, 200 + random.Next(400));
            var words = text.Split(' ');
            // Replacing one word in r changes up to 5 shingles; rates from 0.002 to 0.2 span J from about 0.99 to 0.1.
            double rate = pair % 2 == 0 ? 0.002 + random.NextDouble() * 0.008 : 0.06 + random.NextDouble() * 0.2;
            for (int i = 0; i < words.Length; i++)
                if (random.NextDouble() < rate) words[i] = RandomWord(random);
            string copy = string.Join(' ', words);
            jaccards[$"copy-{pair}"] = Shingles.Jaccard(Shingles.Of(text), Shingles.Of(copy));
            lines.Add(Record($"doc-{pair}", text));
            lines.Add(Record($"copy-{pair}", copy));
        }
        string corpus = Path.Combine(dir, "pairs.jsonl");
        File.WriteAllLines(corpus, lines);
        string outDir = Path.Combine(dir, "out");
        Dedup(outDir, DedupMethod.MinHash, corpus);
        var removed = Duplicates(outDir).Select(d => d.GetProperty("id").GetString()!).ToHashSet();
        Assert.DoesNotContain(removed, id => id.StartsWith("doc-", StringComparison.Ordinal));
        var high = jaccards.Where(j => j.Value >= 0.9).Select(j => j.Key).ToList();
        var low = jaccards.Where(j => j.Value <= 0.3).Select(j => j.Key).ToList();
        Assert.True(high.Count >= 100 && low.Count >= 50, $"{high.Count} high, {low.Count} low");
        Assert.True(high.Count(removed.Contains) >= high.Count - 1, $"{high.Count(removed.Contains)} of {high.Count} copies at J >= 0.9 removed");
        Assert.DoesNotContain(low, removed.Contains);
    }

    /// <summary>A corpus of 4 files with copies planted within and across files, deduplicated locally and as 3 ranks plus a merge.</summary>
    [Fact]
    public void Ranks_and_merge_write_the_bytes_of_a_local_run()
    {
        string dir = TempDir.Create();
        string corpus = PlantedCorpus(dir, files: 4);
        string local = Path.Combine(dir, "local"), ranked = Path.Combine(dir, "ranked");
        var stats = Dedup(local, DedupMethod.MinHash, corpus);
        Assert.True(stats.RemovedExact >= 10 && stats.RemovedNear >= 10, $"{stats.RemovedExact} exact, {stats.RemovedNear} near");
        for (int rank = 2; rank >= 0; rank--)
            DedupStage.Run(new DedupStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = ranked, Execution = new() { Threads = 1, Rank = new RankAssignment(rank, 3) } }, ct: Ct);
        DedupStage.Run(new DedupStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = ranked, Execution = new() { Merge = true } }, ct: Ct);
        SplitSample.AssertSameTree(local, ranked);
        // A rerun finds the output complete and reuses it.
        Assert.True(DedupStage.Run(new DedupStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = local }, ct: Ct).Reused);
    }

    [Fact]
    [Trait("Tier", "slow")]
    public void A_killed_dedup_reruns_to_the_uninterrupted_bytes()
    {
        string dir = TempDir.Create();
        string corpus = PlantedCorpus(dir, files: 3);
        string reference = Path.Combine(dir, "reference"), crashed = Path.Combine(dir, "crashed");
        _ = CliProcess.Program; // built (when stale, minutes) before the clock starts
        var clock = Stopwatch.StartNew();
        Assert.Equal(0, CliProcess.Run("dedup", "--input", corpus, "--out", reference).ExitCode);
        var total = clock.Elapsed;
        var random = new Random(4);
        int kills = 0;
        for (int attempt = 0; attempt < 30 && kills < 6; attempt++)
        {
            bool killed = CrashSafetyTests.RunAndKill(random, total, ["dedup", "--input", corpus, "--out", crashed]);
            if (killed) kills++;
            // Killed or not, a complete output is the reference, and any file under its final name holds the reference's bytes.
            if (File.Exists(Path.Combine(crashed, DedupStage.StatsFile))) SplitSample.AssertSameTree(reference, crashed);
            else if (Directory.Exists(crashed))
                foreach (string file in Directory.GetFiles(crashed, "*.jsonl.zst"))
                    Assert.True(File.ReadAllBytes(file).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(reference, Path.GetFileName(file)))), file);
            // Every other kill lands on a killed run's rerun; a run that finished is checked and started afresh (a
            // finished output is reused, so every later run would finish too).
            if (killed && kills % 2 == 1) continue;
            var (code, _, stderr) = CliProcess.Run("dedup", "--input", corpus, "--out", crashed);
            Assert.True(code == 0, stderr);
            SplitSample.AssertSameTree(reference, crashed);
            Directory.Delete(crashed, recursive: true);
            Directory.Delete(crashed + ".work", recursive: true);
        }
        Assert.True(kills >= 3, $"only {kills} kills landed");
    }

    [Fact]
    public void Run_with_minhash_dedup_indexes_no_planted_copy()
    {
        string dir = TempDir.Create();
        string corpus = PlantedCorpus(dir, files: 2, documentsPerFile: 60);
        string outDir = Path.Combine(dir, "out");
        var (code, _, stderr) = CliProcess.Run("run", "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", "4096", "--dedup", "minhash");
        Assert.True(code == 0, stderr);
        using var index = ChunkIndex.Open(Path.Combine(outDir, "index"), ct: Ct);
        var ids = Enumerable.Range(0, index.DocumentCount).Select(d => index.Document(d).Id).ToList();
        Assert.Equal(120, ids.Count);
        Assert.DoesNotContain(ids, id => id.StartsWith("copy-", StringComparison.Ordinal));
        var dataset = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json"))).RootElement.GetProperty("dedup");
        Assert.Equal(120, dataset.GetProperty("documents_kept").GetInt64());
        var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "config.json"))).RootElement.GetProperty("dedup");
        Assert.Equal("minhash", config.GetProperty("method").GetString());
        Assert.Equal(2, config.GetProperty("inputs")[0].GetProperty("content").GetArrayLength());
        Assert.True(OutputFolder.Owns(OutputKind.Dataset, "dedup") && OutputFolder.Owns(OutputKind.Dataset, "dedup.work"));
    }

    /// <summary>
    /// The sample corpus cut into files, then per file copies of some documents appended under "copy-" ids: exact, re-cased
    /// and re-spaced, with one word in 200 changed (documents of 200 words or more), and copies of a document of the first file placed in the last.
    /// </summary>
    private static string PlantedCorpus(string dir, int files, int? documentsPerFile = null)
    {
        string corpus = SplitSample.Create(dir, files, documentsPerFile ?? 40);
        var paths = Directory.GetFiles(corpus).Order(StringComparer.Ordinal).ToList();
        var first = ReadRecords(paths[0]);
        var random = new Random(5);
        for (int f = 0; f < paths.Count; f++)
        {
            var records = ReadRecords(paths[f]);
            var copies = new List<string>();
            for (int i = 0; i < records.Count; i += 4)
            {
                var (id, text) = records[i];
                copies.Add(Record($"copy-exact-{id}", text));
                copies.Add(Record($"copy-case-{id}", "  " + text.ToUpperInvariant().Replace(" ", "   ")));
                // Near copies of long documents only: one changed word in a short one leaves a low Jaccard.
                var words = text.Split(' ');
                if (words.Length < 200) continue;
                for (int w = 100; w < words.Length; w += 200) words[w] = "edited";
                copies.Add(Record($"copy-near-{id}", string.Join(' ', words)));
            }
            if (f == paths.Count - 1) copies.Add(Record($"copy-across-{first[1].Id}", first[1].Text));
            var all = records.Select(r => Record(r.Id, r.Text)).Concat(copies).Select(l => l + "\n");
            using var file = File.Create(paths[f]);
            using Stream output = paths[f].EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionLevel.Fastest) : file;
            output.Write(Encoding.UTF8.GetBytes(string.Concat(all)));
        }
        return corpus;
    }

    private static List<(string Id, string Text)> ReadRecords(string path)
    {
        using Stream file = File.OpenRead(path);
        using var reader = new StreamReader(path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file);
        var records = new List<(string, string)>();
        while (reader.ReadLine() is { } line)
        {
            var e = JsonDocument.Parse(line).RootElement;
            records.Add((e.GetProperty("id").GetString()!, e.GetProperty("text").GetString()!));
        }
        return records;
    }
}
