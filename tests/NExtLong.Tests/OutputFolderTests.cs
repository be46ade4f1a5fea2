using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using NExtLong.Pipeline;

namespace NExtLong.Tests;

/// <summary>
/// What nextlong promises about the folders it writes: it never deletes or replaces what it did not make, an index or
/// dataset is reused only when its inputs hold the same bytes, one process owns a folder at a time, and a failed run
/// never looks complete. One test per defect of issue 11, each failing on the code before the fix.
/// </summary>
public class OutputFolderTests
{
    private const string Small = "4096";

    // A two-file corpus of 150 documents: small enough that an index takes a second.
    private static string SmallCorpus(string root) => SplitSample.Create(root, 2, 75);

    [Fact]
    public void Index_out_refuses_a_folder_of_the_users_and_never_deletes_it()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        var before = Snapshot(corpus);

        string file = Path.Combine(corpus, "part-00.jsonl.gz");
        var (code, _, stderr) = CliProcess.Run("index", "--input", file, "--out", corpus);
        Assert.Equal(1, code);
        Assert.Contains("not made by nextlong", stderr);
        Assert.Equal(before, Snapshot(corpus));

        (code, _, stderr) = CliProcess.Run("run", "--input", file, "--out", Path.Combine(root, "out"), "--index", corpus, "-n", "2", "--target-tokens", Small);
        Assert.Equal(1, code);
        Assert.Contains("not made by nextlong", stderr);
        Assert.Equal(before, Snapshot(corpus));

        // --overwrite writes the index beside the user's files and keeps every one of them.
        (code, _, stderr) = CliProcess.Run("index", "--input", file, "--out", corpus, "--overwrite");
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(corpus, "manifest.json")));
        foreach (var (name, bytes) in before) Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(corpus, name)));
    }

    [Fact]
    public void Index_out_naming_a_file_fails_before_building()
    {
        string root = TempDir.Create();
        string file = Path.Combine(root, "not-a-folder");
        File.WriteAllText(file, "mine");
        var (code, _, stderr) = CliProcess.Run("index", "--input", SampleIndexFixture.SamplePath, "--out", file);
        Assert.Equal(1, code);
        Assert.Contains("is a file", stderr);
        Assert.DoesNotContain("chunks embedded", stderr);
        Assert.Equal("mine", File.ReadAllText(file));
    }

    [Fact]
    public void A_corpus_changed_in_place_is_never_reused_by_index_or_dataset()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string outDir = Path.Combine(root, "out");
        // Without dedup, so the index is built from the corpus files themselves and synthesize can check it against them.
        string[] run = ["run", "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small, "--dedup", "none"];
        Assert.Equal(0, CliProcess.Run(run).ExitCode);

        // Mask an identifier keeping the file's size: names and sizes are the same, the content is not.
        string file = Path.Combine(corpus, "part-01.jsonl");
        string text = File.ReadAllText(file);
        string other = string.Join("\n", ReadGzipLines(Path.Combine(corpus, "part-00.jsonl.gz")));
        string word = text.Split([' ', '\n', '"', '\\', '.', ','], StringSplitOptions.RemoveEmptyEntries)
            .First(w => w.Length >= 9 && w.All(char.IsAsciiLetter) && !other.Contains(w, StringComparison.Ordinal));
        string masked = new('X', word.Length);
        File.WriteAllText(file, text.Replace(word, masked));
        Assert.Equal(text.Length, File.ReadAllText(file).Length);

        var (code, _, stderr) = CliProcess.Run(run);
        Assert.Equal(1, code);
        Assert.DoesNotContain("up to date", stderr);
        Assert.DoesNotContain("already complete", stderr);
        Assert.Contains("other inputs", stderr);

        // The index alone: synthesize refuses an index built from an earlier version of its own input files.
        (code, _, stderr) = CliProcess.Run("synthesize", "--index", Path.Combine(outDir, "index"), "--input", corpus, "--out", Path.Combine(root, "other"),
            "-n", "2", "--target-tokens", Small);
        Assert.Equal(1, code);
        Assert.Contains("stale", stderr);
        Assert.Contains("part-01.jsonl", stderr);

        (code, _, stderr) = CliProcess.Run([.. run, "--overwrite"]);
        Assert.True(code == 0, stderr);
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "index", "manifest.json"))).RootElement;
        var recorded = manifest.GetProperty("sources")[0].GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == "part-01.jsonl");
        Assert.Equal(FileChecksum.ContentOf(file), recorded.GetProperty("xxh3").GetString());
        var texts = ReadDatasetTexts(outDir);
        Assert.Equal(2, texts.Count);
        Assert.DoesNotContain(texts, t => t.Contains(word, StringComparison.Ordinal));
    }

    [Fact]
    public void A_second_process_is_refused_while_the_first_holds_the_folder()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string index = Path.Combine(root, "index");
        Assert.Equal(0, CliProcess.Run("index", "--input", corpus, "--out", index).ExitCode);
        string outDir = Path.Combine(root, "out");

        using (OutputFolder.Claim(outDir, OutputKind.Dataset))
        {
            var (code, _, stderr) = CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small);
            Assert.Equal(1, code);
            Assert.Contains("in use by another nextlong process", stderr);
            Assert.Empty(Directory.EnumerateFiles(outDir).Where(f => Path.GetFileName(f) != OutputFolder.MarkerFile));
        }
        using (OutputFolder.Claim(index, OutputKind.Index))
        {
            var (code, _, stderr) = CliProcess.Run("index", "--input", corpus, "--out", index);
            Assert.Equal(1, code);
            Assert.Contains("in use", stderr);
            // A synthesis reads the index under a shared lock, which a rebuild holds exclusively.
            (code, _, stderr) = CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small);
            Assert.Equal(1, code);
            Assert.Contains("in use", stderr);
        }
        string embed = Path.Combine(root, "emb");
        using (OutputFolder.Claim(embed, OutputKind.Embeddings))
            Assert.Contains("in use", CliProcess.Run("embed", "--input", corpus, "--out", embed).Stderr);
        // Released: the same commands now run.
        var ok = CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small, "--format", "mds");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        string packed = Path.Combine(root, "packed");
        using (OutputFolder.Claim(packed, OutputKind.Packed))
            Assert.Contains("in use", CliProcess.Run("pack", Path.Combine(outDir, "mds"), "-o", packed, "-l", "16384").Stderr);
        string mixed = Path.Combine(root, "mixed");
        using (OutputFolder.Claim(mixed, OutputKind.Mixed))
            Assert.Contains("in use", CliProcess.Run("mix", Path.Combine(outDir, "mds"), "-o", mixed).Stderr);
    }

    [Fact]
    public void Ranks_share_the_work_folder_and_the_merge_holds_it_alone()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string index = Path.Combine(root, "index");
        var work = new WorkFolder(index, "plan");
        string[] rank0 = ["index", "--input", corpus, "--out", index, "--rank", "0", "--world-size", "2"];
        using (work.OpenForRank(new RankAssignment(1, 2)))
        {
            // Another rank works beside a running one; the same rank twice, or a merge, is refused.
            Assert.Equal(0, CliProcess.Run(rank0).ExitCode);
            var (code, _, stderr) = CliProcess.Run("index", "--input", corpus, "--out", index, "--rank", "1", "--world-size", "2");
            Assert.Equal(1, code);
            Assert.Contains("in use", stderr);
            (code, _, stderr) = CliProcess.Run("index", "--input", corpus, "--out", index, "--merge");
            Assert.Equal(1, code);
            Assert.Contains("in use", stderr);
        }
        Assert.Equal(0, CliProcess.Run("index", "--input", corpus, "--out", index, "--rank", "1", "--world-size", "2").ExitCode);
        using (OutputFolder.Claim(index + ".work", OutputKind.Work))
            Assert.Contains("in use", CliProcess.Run(rank0).Stderr);
        var merged = CliProcess.Run("index", "--input", corpus, "--out", index, "--merge");
        Assert.True(merged.ExitCode == 0, merged.Stderr);
    }

    [Fact]
    [Trait("Tier", "slow")]
    public void A_killed_holder_releases_its_folder()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string index = Path.Combine(root, "index");
        using var p = CliProcess.Start("index", "--input", SampleIndexFixture.SamplePath, "--out", index, "--retriever", "dense", "--embedder", "use-lite", "--threads", "1");
        var clock = Stopwatch.StartNew();
        while (!File.Exists(Path.Combine(index + ".partial", OutputFolder.MarkerFile)))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1) && !p.HasExited, "the index build never started");
            Thread.Sleep(20);
        }
        Assert.Contains("in use", CliProcess.Run("index", "--input", corpus, "--out", index).Stderr);
        p.Kill(entireProcessTree: true);
        p.WaitForExit();
        var (code, _, stderr) = CliProcess.Run("index", "--input", corpus, "--out", index);
        Assert.True(code == 0, stderr);
        Assert.False(Directory.Exists(index + ".partial"));
    }

    [Fact]
    public void A_run_short_of_its_request_never_becomes_complete_on_rerun()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string outDir = Path.Combine(root, "out");
        // A complete dataset first: replacing it by a run that fails must take its card and recipe too.
        var first = CliProcess.Run("run", "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small, "--format", "jsonl.zst,mds");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.True(File.Exists(Path.Combine(outDir, "README.md")));
        string[] run = ["run", "--input", corpus, "--out", outDir, "-n", "1000000", "--target-tokens", Small, "--format", "jsonl.zst,mds", "--overwrite"];
        for (int attempt = 0; attempt < 2; attempt++)
        {
            var (code, _, stderr) = CliProcess.Run(TimeSpan.FromMinutes(5), null, run);
            Assert.Equal(2, code);
            Assert.DoesNotContain("already complete", stderr);
            Assert.Contains("failed.json", stderr);
            Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
            Assert.False(File.Exists(Path.Combine(outDir, "README.md")));
            Assert.False(File.Exists(Path.Combine(outDir, "train-prolong.sh")));
            Assert.False(File.Exists(Path.Combine(outDir, "mds", "index.json")));
            var failed = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "failed.json"))).RootElement;
            Assert.Contains("of 1000000", failed.GetProperty("error").GetString());
        }
        // The same folder then makes a dataset that meets its request, and the failure record goes.
        var ok = CliProcess.Run("run", "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small, "--overwrite");
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.False(File.Exists(Path.Combine(outDir, "failed.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "stats.json")));
    }

    [Fact]
    public void Synthesize_never_overwrites_or_deletes_the_users_files()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string index = Path.Combine(root, "index");
        Assert.Equal(0, CliProcess.Run("index", "--input", corpus, "--out", index).ExitCode);
        string outDir = Path.Combine(root, "mine");
        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, "README.md"), "my notes");
        File.WriteAllText(Path.Combine(outDir, "LICENSES.tsv"), "my licences");
        File.WriteAllText(Path.Combine(outDir, "part-00000.jsonl.zst"), "my part");
        var before = Snapshot(outDir);
        string[] synth = ["synthesize", "--index", index, "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small];

        var (code, _, stderr) = CliProcess.Run(synth);
        Assert.Equal(1, code);
        Assert.Contains("not made by nextlong", stderr);
        (code, _, stderr) = CliProcess.Run([.. synth, "--overwrite"]);
        Assert.Equal(1, code);
        Assert.Contains("LICENSES.tsv", stderr);
        Assert.Equal(before, Snapshot(outDir));

        // A folder whose files clash with no name of a dataset takes one beside them with --overwrite.
        string shared = Path.Combine(root, "shared");
        Directory.CreateDirectory(shared);
        File.WriteAllText(Path.Combine(shared, "notes.txt"), "keep me");
        Assert.Equal(1, CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", shared, "-n", "2", "--target-tokens", Small).ExitCode);
        (code, _, stderr) = CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", shared, "-n", "2", "--target-tokens", Small, "--overwrite");
        Assert.True(code == 0, stderr);
        (code, _, stderr) = CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", shared, "-n", "3", "--target-tokens", Small, "--overwrite");
        Assert.True(code == 0, stderr);
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(shared, "notes.txt")));

        // A folder of another kind is never taken over.
        string otherIndex = Path.Combine(root, "other-index");
        Assert.Equal(0, CliProcess.Run("index", "--input", Path.Combine(corpus, "part-01.jsonl"), "--out", otherIndex).ExitCode);
        (code, _, stderr) = CliProcess.Run("synthesize", "--index", index, "--input", corpus, "--out", otherIndex, "-n", "2", "--target-tokens", Small, "--overwrite");
        Assert.Equal(1, code);
        Assert.Contains("holds a nextlong index", stderr);
    }

    [Fact]
    public void A_users_file_named_like_a_completion_mark_is_never_taken_for_an_earlier_output()
    {
        // A folder without nextlong's marker is the user's even when all it holds are names nextlong writes: streaming's
        // MDSWriter names its files index.json and shard.NNNNN.mds too, and a lone stats.json or config.json proves nothing.
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string outDir = Path.Combine(root, "out");
        Assert.Equal(0, CliProcess.Run("run", "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small, "--format", "mds").ExitCode);
        string mds = Path.Combine(outDir, "mds");
        string theirs = Path.Combine(root, "their-mds");
        Directory.CreateDirectory(theirs);
        foreach (string f in Directory.GetFiles(Path.Combine(mds, Path.GetFileName(Directory.GetDirectories(mds).Single()))))
            File.Copy(f, Path.Combine(theirs, Path.GetFileName(f)));
        var cases = new (string Folder, string File, string[] Args)[]
        {
            (theirs, "index.json", ["pack", mds, "-o", theirs, "-l", "8200", "--min-length", "1"]),
            (theirs, "index.json", ["mix", mds, "-o", theirs]),
            (Path.Combine(root, "stats-only"), "stats.json", ["dedup", "--input", corpus, "--out", Path.Combine(root, "stats-only")]),
            (Path.Combine(root, "config-only"), "config.json", ["synthesize", "--index", Path.Combine(outDir, "index"), "--input", corpus, "--out", Path.Combine(root, "config-only"), "-n", "2", "--target-tokens", Small]),
        };
        foreach (var (folder, file, args) in cases)
        {
            if (!Directory.Exists(folder))
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, file), "mine");
            }
            var before = Snapshot(folder);
            var (code, _, stderr) = CliProcess.Run(args);
            Assert.Equal(1, code);
            Assert.Contains("not made by nextlong", stderr);
            (code, _, stderr) = CliProcess.Run([.. args, "--overwrite"]);
            Assert.Equal(1, code);
            Assert.Contains($"{Path.Combine(folder, file)}: was not made by nextlong", stderr);
            Assert.Equal(before, Snapshot(folder));
        }
    }

    [Fact]
    public void No_command_writes_where_its_inputs_read_and_the_inputs_stay_as_they_were()
    {
        // An output among the inputs would be read back as corpus on the next run (a folder input reads every file
        // below it; a glob, what it matches), even with --overwrite; a file input's folder is free to hold outputs.
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string index = Path.Combine(root, "index");
        Assert.Equal(0, CliProcess.Run("index", "--input", corpus, "--out", index).ExitCode);
        string glob = Path.Combine(corpus, "*.jsonl*"), deepGlob = Path.Combine(root, "**", "*.jsonl");
        var cases = new (string Input, string[] Args)[]
        {
            (corpus, ["dedup", "--out", corpus, "--overwrite"]),
            (corpus, ["dedup", "--out", Path.Combine(corpus, "dedup")]),
            (glob, ["index", "--out", corpus, "--overwrite"]),
            (deepGlob, ["chunks", "--out", Path.Combine(root, "a", "b")]),
            (Path.Combine(root, "**"), ["dedup", "--out", Path.Combine(root, "a", "b")]),
            (corpus, ["embed", "--out", Path.Combine(corpus, "emb")]),
            (corpus, ["synthesize", "--index", index, "--out", Path.Combine(corpus, "data"), "-n", "2", "--target-tokens", Small]),
            (corpus, ["run", "--out", Path.Combine(corpus, "run"), "-n", "2", "--target-tokens", Small]),
            (corpus, ["run", "--out", Path.Combine(root, "run"), "--index", Path.Combine(corpus, "ix"), "-n", "2", "--target-tokens", Small]),
            (corpus, ["slurm", "--out", Path.Combine(corpus, "cluster"), "--dry-run"]),
        };
        var before = Snapshot(corpus);
        foreach (var (input, args) in cases)
        {
            var (code, _, stderr) = CliProcess.Run([.. args, "--input", input]);
            Assert.True(code == 1, $"{string.Join(' ', args)}: exit {code}, {stderr}");
            Assert.Contains($"makes no sense with --input '{input}': the output would lie among the inputs", stderr);
            Assert.Equal(before, Snapshot(corpus));
        }
        Assert.False(Directory.Exists(Path.Combine(root, "a")));
        // Beside a file input is fine: nothing there is read back.
        string file = Directory.GetFiles(corpus).Order(StringComparer.Ordinal).First();
        Assert.Equal(0, CliProcess.Run("dedup", "--input", file, "--out", Path.Combine(corpus, "dedup")).ExitCode);
    }

    [Fact]
    public void A_failed_pack_leaves_nothing_that_looks_like_a_dataset_and_the_rerun_works()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string outDir = Path.Combine(root, "out");
        Assert.Equal(0, CliProcess.Run("run", "--input", corpus, "--out", outDir, "-n", "3", "--target-tokens", Small, "--format", "mds").ExitCode);
        string packed = Path.Combine(root, "packed");
        var (code, _, stderr) = CliProcess.Run("pack", Path.Combine(outDir, "mds"), "-o", packed, "-l", "8200", "--min-length", "1");
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(packed, "README.md")));
        // Replacing it by a pack that fails takes the earlier pack's card and recipe with it.
        (code, _, _) = CliProcess.Run("pack", Path.Combine(outDir, "mds"), "-o", packed, "-l", "100", "--overwrite");
        Assert.Equal(2, code);
        Assert.False(File.Exists(Path.Combine(packed, "index.json")));
        Assert.False(File.Exists(Path.Combine(packed, "README.md")));
        Assert.False(File.Exists(Path.Combine(packed, "train-prolong.sh")));
        Assert.Empty(Directory.Exists(packed) ? Directory.EnumerateFiles(packed, "shard.*") : []);
        (code, _, stderr) = CliProcess.Run("pack", Path.Combine(outDir, "mds"), "-o", packed, "-l", "8200", "--min-length", "1", "--overwrite");
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(packed, "index.json")));
    }

    [Fact]
    public void Withdrawing_a_dataset_takes_every_formats_index_before_its_data()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string outDir = Path.Combine(root, "out");
        var (code, _, stderr) = CliProcess.Run("run", "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small,
            "--format", "jsonl.zst,mds,mds-text,megatron");
        Assert.True(code == 0, stderr);
        string[] indexes = [Path.Combine("mds", "index.json"), Path.Combine("mds-text", "index.json"), Path.Combine("megatron", "nextlong_text_document.idx")];
        foreach (string f in indexes) Assert.True(File.Exists(Path.Combine(outDir, f)), f);
        Assert.Contains(Directory.GetFiles(Path.Combine(outDir, "mds"), "index.json", SearchOption.AllDirectories), f => Path.GetDirectoryName(f) != Path.Combine(outDir, "mds"));
        // A replacing run withdraws at its start; loaders of any format must then find nothing to take for whole, even
        // if the run is killed before its writers clear the folders.
        using (var folder = OutputFolder.Claim(outDir, OutputKind.Dataset, overwrite: true))
            folder.Withdraw();
        foreach (string f in indexes) Assert.False(File.Exists(Path.Combine(outDir, f)), f);
        Assert.Empty(Directory.GetFiles(outDir, "index.json", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
        Assert.False(File.Exists(Path.Combine(outDir, "README.md")));
        // Data files are left for the run itself to replace (or resume from).
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(outDir, "mds"), "shard.*", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(outDir, "megatron", "nextlong_text_document.bin")));
    }

    [Fact]
    public void Withdrawal_takes_the_card_before_the_mark_and_the_mark_before_the_indexes_and_a_rerun_restores_a_lost_card()
    {
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string outDir = Path.Combine(root, "out");
        string[] run = ["run", "--input", corpus, "--out", outDir, "-n", "2", "--target-tokens", Small, "--format", "jsonl.zst,mds,megatron"];
        var (code, _, stderr) = CliProcess.Run(run);
        Assert.True(code == 0, stderr);
        using (var folder = OutputFolder.Claim(outDir, OutputKind.Dataset, overwrite: true))
        {
            var order = folder.Withdrawal().Select(f => Path.GetRelativePath(outDir, f)).ToList();
            int card = order.IndexOf("README.md"), recipe = order.FindIndex(f => f.StartsWith("train-", StringComparison.Ordinal));
            int mark = order.IndexOf("stats.json"), mds = order.IndexOf(Path.Combine("mds", "index.json"));
            int megatron = order.IndexOf(Path.Combine("megatron", "nextlong_text_document.idx"));
            Assert.True(card >= 0 && recipe >= 0 && mark >= 0 && mds >= 0 && megatron >= 0, string.Join(", ", order));
            Assert.True(card < mark && recipe < mark && mark < mds && mark < megatron, string.Join(", ", order));
        }
        // A kill between the mark's rename and the card's leaves a complete dataset without its card: the same run
        // again sees that stats.json lists a file that is missing and makes the dataset again, card included.
        string before = File.ReadAllText(Path.Combine(outDir, "stats.json"));
        File.Delete(Path.Combine(outDir, "README.md"));
        (code, _, stderr) = CliProcess.Run(run);
        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(outDir, "README.md")));
        Assert.True(File.Exists(Path.Combine(outDir, "stats.json")));
        Assert.Equal(JsonDocument.Parse(before).RootElement.GetProperty("files").GetRawText(),
            JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "stats.json"))).RootElement.GetProperty("files").GetRawText());
    }

    [Fact]
    public void Claim_rules_at_the_library_level()
    {
        string root = TempDir.Create();
        // A folder created and left empty by a failed start is removed again.
        string fresh = Path.Combine(root, "fresh");
        OutputFolder.Claim(fresh, OutputKind.Dataset).Dispose();
        Assert.False(Directory.Exists(fresh));

        // An empty folder of the user's is taken; a marker names its kind, and another kind is refused.
        string empty = Path.Combine(root, "empty");
        Directory.CreateDirectory(empty);
        using (var folder = OutputFolder.Claim(empty, OutputKind.Index))
            File.WriteAllText(Path.Combine(empty, "manifest.json"), "{}");
        Assert.Contains("\"index\"", File.ReadAllText(Path.Combine(empty, OutputFolder.MarkerFile)));
        Assert.Throws<IOException>(() => OutputFolder.Claim(empty, OutputKind.Dataset, overwrite: true));

        // Only names the kind owns can be removed.
        using (var folder = OutputFolder.Claim(empty, OutputKind.Index))
        {
            File.WriteAllText(Path.Combine(empty, "theirs.txt"), "x");
            Assert.Throws<InvalidOperationException>(() => folder.Remove("theirs.txt"));
            folder.Remove("manifest.json");
            Assert.True(File.Exists(Path.Combine(empty, "theirs.txt")));
        }

        // Shared claims coexist; an exclusive one waits for none of them and is refused.
        string work = Path.Combine(root, "w.work");
        using (OutputFolder.Claim(work, OutputKind.Work, shared: true))
        using (OutputFolder.Claim(work, OutputKind.Work, shared: true))
            Assert.Contains("in use", Assert.Throws<IOException>(() => OutputFolder.Claim(work, OutputKind.Work)).Message);
        OutputFolder.Claim(work, OutputKind.Work).Dispose();

        // A scratch folder of that name that nextlong did not make is refused, never cleared.
        string scratch = Path.Combine(root, "idx.partial");
        Directory.CreateDirectory(scratch);
        File.WriteAllText(Path.Combine(scratch, "precious"), "x");
        Assert.Throws<IOException>(() => OutputFolder.ClaimScratch(scratch));
        Assert.True(File.Exists(Path.Combine(scratch, "precious")));
    }

    [Fact]
    public void Ranks_claiming_one_new_work_folder_at_the_same_moment_all_get_it_and_none_removes_it_under_another()
    {
        // Ranks of a job array start together: each sees no folder or a folder whose marker is being made. Threads
        // with their own file handles take flocks as separate processes do.
        string root = TempDir.Create();
        for (int round = 0; round < 40; round++)
        {
            string work = Path.Combine(root, $"w{round}.work");
            const int ranks = 6;
            using var start = new Barrier(ranks);
            var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            var threads = Enumerable.Range(0, ranks).Select(r => new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    using var folder = OutputFolder.Claim(work, OutputKind.Work, shared: true);
                    // One rank fails at once (its claim made the folder, perhaps); the others go on writing into it.
                    if (r == 0) return;
                    Thread.Sleep(5);
                    File.WriteAllText(Path.Combine(work, $"rank-{r}.tmp"), "x");
                }
                catch (Exception e)
                {
                    errors.Add(e);
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.True(errors.IsEmpty, string.Join("\n", errors.Select(e => e.Message)));
            Assert.Equal(ranks - 1, Directory.GetFiles(work, "rank-*.tmp").Length);
            Assert.Contains("\"work\"", File.ReadAllText(Path.Combine(work, OutputFolder.MarkerFile)));
        }
    }

    /// <summary>
    /// A small model of what a dataset folder must hold, checked after every step of random sequences of runs,
    /// kills, edits of the corpus (same size) and files the user drops in: the user's files are never touched; a
    /// folder with stats.json holds exactly the documents asked for, made from the corpus as it is now; an
    /// interrupted or failed run leaves no stats.json, card or MDS index.
    /// </summary>
    [Theory]
    [Trait("Tier", "slow")]
    [InlineData(1)]
    [InlineData(2)]
    public void Random_sequences_of_runs_kills_and_edits_keep_the_folder_truthful(int seed)
    {
        var random = new Random(seed);
        string root = TempDir.Create();
        string corpus = SmallCorpus(root);
        string outDir = Path.Combine(root, "out");
        var userFiles = new Dictionary<string, string>();
        int requested = 0;
        Dictionary<string, string>? madeFrom = null;
        Dictionary<string, string> Checksums() => Directory.GetFiles(corpus).ToDictionary(Path.GetFileName, f => FileChecksum.ContentOf(f))!;
        // After a kill, until a run succeeds, the folder may be caught between two renames or removals: a complete
        // dataset without its card, or format indexes without their mark; never a card without its mark.
        bool settled = true;
        // Kills land a share of an uninterrupted run into the run (of the most documents asked for here), so they fall
        // inside it however fast runs are, rather than after a fixed delay that a faster build outlives.
        var took = CrashSafetyTests.Uninterrupted("run", "--input", corpus, "--out", Path.Combine(root, "timed"), "-n", "4",
            "--target-tokens", Small, "--format", "jsonl.zst,mds", "--documents-per-part", "1", "--threads", "1");
        for (int step = 0; step < 8; step++)
        {
            int n = 2 + random.Next(3);
            string[] run = ["run", "--input", corpus, "--out", outDir, "-n", n.ToString(), "--target-tokens", Small, "--format", "jsonl.zst,mds",
                "--documents-per-part", "1", "--threads", "1"];
            switch (random.Next(5))
            {
                case 0:
                case 1:
                {
                    bool overwrite = random.Next(2) == 0;
                    var (code, _, stderr) = CliProcess.Run(overwrite ? [.. run, "--overwrite"] : run);
                    Assert.True(code is 0 or 1, stderr);
                    if (code == 0) (requested, madeFrom, settled) = (n, Checksums(), true);
                    else Assert.Contains("--overwrite", stderr);
                    break;
                }
                case 2:
                {
                    using var p = CliProcess.Start([.. run, "--overwrite"]);
                    Thread.Sleep(took * (0.05 + 0.9 * random.NextDouble()));
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit();
                    if (p.ExitCode == 0) (requested, madeFrom, settled) = (n, Checksums(), true);
                    else settled = false;
                    break;
                }
                case 3:
                {
                    string file = Path.Combine(corpus, "part-01.jsonl");
                    string text = File.ReadAllText(file);
                    string word = FirstLongWord(text[random.Next(text.Length / 2)..]);
                    File.WriteAllText(file, text.Replace(word, new string('Q', word.Length)));
                    break;
                }
                default:
                {
                    if (!Directory.Exists(outDir)) break;
                    string name = $"user-{step}.txt";
                    File.WriteAllText(Path.Combine(outDir, name), $"user {step}");
                    userFiles[name] = $"user {step}";
                    break;
                }
            }
            foreach (var (name, content) in userFiles) Assert.Equal(content, File.ReadAllText(Path.Combine(outDir, name)));
            if (!Directory.Exists(outDir)) continue;
            bool complete = File.Exists(Path.Combine(outDir, "stats.json"));
            bool card = File.Exists(Path.Combine(outDir, "README.md")), index = File.Exists(Path.Combine(outDir, "mds", "index.json"));
            Assert.True(!card || complete, "a card without stats.json");
            Assert.True(!complete || index, "stats.json without the MDS index");
            if (settled)
            {
                Assert.Equal(complete, card);
                Assert.Equal(complete, index);
            }
            if (!complete) continue;
            Assert.Equal(requested, ReadDatasetTexts(outDir).Count);
            var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "config.json"))).RootElement;
            // Made from the corpus as it was at the last run that succeeded, and nothing else (through the dedup, which
            // the dataset's config names with the original inputs).
            var inputs = config.TryGetProperty("dedup", out var dedup) ? dedup.GetProperty("inputs") : config.GetProperty("inputs");
            foreach (var f in inputs[0].GetProperty("content").EnumerateArray())
                Assert.Equal(madeFrom![f.GetProperty("path").GetString()!], f.GetProperty("xxh3").GetString());
        }
    }

    private static string FirstLongWord(string text)
        => text.Split([' ', '\n', '"', '\\', '.', ','], StringSplitOptions.RemoveEmptyEntries).First(w => w.Length >= 9 && w.All(char.IsAsciiLetter));

    private static List<string> ReadDatasetTexts(string dir)
    {
        var texts = new List<string>();
        foreach (string part in Directory.GetFiles(dir, "part-*.jsonl.zst").Order())
        {
            using var zstd = new ZstdSharp.DecompressionStream(File.OpenRead(part));
            using var reader = new StreamReader(zstd);
            while (reader.ReadLine() is { } line) texts.Add(JsonDocument.Parse(line).RootElement.GetProperty("text").GetString()!);
        }
        return texts;
    }

    private static List<string> ReadGzipLines(string path)
    {
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return lines;
    }

    private static SortedDictionary<string, byte[]> Snapshot(string dir)
    {
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (string f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories)) files[Path.GetRelativePath(dir, f)] = File.ReadAllBytes(f);
        return files;
    }
}
