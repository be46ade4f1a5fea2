using System.Text.Json;
using NExtLong.Output;
using NExtLong.Retrieval;
using NExtLong.Pipeline;
using NExtLong.Synthesis;

namespace NExtLong.Tests;

/// <summary>
/// The index and synthesize stages run as rank r of W over fixed work units, then merged: the result must be the
/// bytes of a local run for every W, reruns must skip finished units, and a merge must refuse incomplete work.
/// </summary>
public class DistributedStageTests
{
    private static IndexStage.Options IndexOptions(string corpus, string outDir, RankAssignment? rank = null, bool merge = false, string spec = "Flat", int chunkChars = 2048)
        => new() { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [corpus] }, OutDir = outDir, IndexSpec = spec, Chunking = new() { ChunkChars = chunkChars }, Execution = new() { Rank = rank, Merge = merge, Threads = rank is null ? 2 : 1 } };

    private static SynthesisStage.Options SynthesisOptions(string corpus, string index, string outDir, RankAssignment? rank = null, bool merge = false,
        bool tokenized = false, SynthesisMethod method = SynthesisMethod.NExtLong) => new()
    {
        IndexDir = index,
        Corpus = new() { Inputs = [corpus] },
        OutDir = outDir,
        Synthesis = new SynthesisOptions { TargetTokens = 8192, NumSamples = 10, DocumentsPerPart = 3, Method = method },
        // The tokenized formats write the ids the cut collected; blocks do not keep them, so the merge encodes again.
        Output = tokenized ? new DatasetOutputOptions { Formats = [DatasetFormat.JsonlZst, DatasetFormat.Mds, DatasetFormat.Megatron] } : new(),
        Execution = new() { Rank = rank, Merge = merge, Threads = rank is null ? 2 : 1 },
    };

    /// <summary>Runs both stages locally into ROOT/local (index in local/index), as `nextlong run` lays them out.</summary>
    private static string Local(string root, string corpus, bool tokenized = false)
    {
        string outDir = Path.Combine(root, "local");
        IndexStage.Run(IndexOptions(corpus, Path.Combine(outDir, "index")));
        var done = SynthesisStage.Run(SynthesisOptions(corpus, Path.Combine(outDir, "index"), outDir, tokenized: tokenized));
        Assert.Equal(10, done.Stats!.DocumentsWritten);
        return outDir;
    }

    [Theory]
    [InlineData(1, 1, false)]
    [InlineData(2, 3, false)]
    [InlineData(5, 4, false)]
    [InlineData(2, 3, true)]
    public void Ranks_then_merge_give_the_bytes_of_a_local_run_for_any_world_size(int indexRanks, int synthesisRanks, bool tokenized)
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 5, documentsPerFile: 90);
        string local = Local(root, corpus, tokenized);

        string outDir = Path.Combine(root, "distributed"), index = Path.Combine(outDir, "index");
        int unitsBuilt = 0;
        // Ranks in reverse order: the result may not depend on which rank finishes first.
        for (int r = indexRanks - 1; r >= 0; r--)
            unitsBuilt += IndexStage.Run(IndexOptions(corpus, index, new RankAssignment(r, indexRanks))).UnitsDone;
        Assert.Equal(5, unitsBuilt);
        Assert.False(Directory.Exists(index), "ranks must not write the index folder itself");
        IndexStage.Run(IndexOptions(corpus, index, merge: true));

        int blocks = 0, skipped = 0;
        for (int r = 0; r < synthesisRanks; r++)
        {
            var rank = SynthesisStage.Run(SynthesisOptions(corpus, index, outDir, new RankAssignment(r, synthesisRanks), tokenized: tokenized));
            Assert.Null(rank.Stats);
            blocks += rank.UnitsDone;
            skipped += rank.UnitsSkipped;
        }
        Assert.Equal(CandidateBlock.Count(2 * 10 + 8), blocks);
        // Ranks run one after another here, so every block past the one that fills the quota is known to be unneeded.
        if (synthesisRanks == 1) Assert.True(skipped > 0, "a lone rank should skip the blocks after the quotas are met");
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
        var merged = SynthesisStage.Run(SynthesisOptions(corpus, index, outDir, merge: true, tokenized: tokenized));
        Assert.Equal(10, merged.Stats!.DocumentsWritten);

        SplitSample.AssertSameTree(local, outDir);
        // The work folders keep their record (plan, per-unit stats, markers, merged stats) but not the unit outputs.
        foreach (var (work, units) in new[] { (index + ".work", 5), (outDir + ".work", blocks) })
        {
            Assert.False(Directory.Exists(Path.Combine(work, "units")));
            Assert.True(File.Exists(Path.Combine(work, "plan.json")));
            using var stats = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "stats.json")));
            Assert.Equal(units, stats.RootElement.GetProperty("units").GetInt32());
            Assert.Equal(units, stats.RootElement.GetProperty("unit_stats").GetArrayLength());
            Assert.Equal(Math.Min(units, work.EndsWith("index.work") ? indexRanks : synthesisRanks), stats.RootElement.GetProperty("ranks").GetArrayLength());
            Assert.Equal(units, Directory.GetFiles(Path.Combine(work, "completions"), "*-0*").Count(f => !Path.GetFileName(f).StartsWith("rank-")));
        }
        int ranksMarked = Directory.GetFiles(Path.Combine(index + ".work", "completions"), "rank-*").Length;
        Assert.Equal(indexRanks, ranksMarked);
        using var rankStats = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir + ".work", "stats", $"rank-00000-of-{synthesisRanks:D5}.json")));
        Assert.Equal(CandidateBlock.Count(28) / synthesisRanks + (CandidateBlock.Count(28) % synthesisRanks > 0 ? 1 : 0), rankStats.RootElement.GetProperty("units_owned").GetInt32());
    }

    [Fact]
    public void Iclm_ranks_cut_the_same_global_path_and_merge_to_the_local_bytes()
    {
        // Every rank computes the whole path and makes only the windows whose representative falls in its blocks.
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 3, documentsPerFile: 90);
        string index = Path.Combine(root, "index"), local = Path.Combine(root, "local"), outDir = Path.Combine(root, "distributed");
        IndexStage.Run(IndexOptions(corpus, index));
        Assert.Equal(10, SynthesisStage.Run(SynthesisOptions(corpus, index, local, method: SynthesisMethod.Iclm)).Stats!.DocumentsWritten);
        for (int r = 2; r >= 0; r--) SynthesisStage.Run(SynthesisOptions(corpus, index, outDir, new RankAssignment(r, 3), method: SynthesisMethod.Iclm));
        SynthesisStage.Run(SynthesisOptions(corpus, index, outDir, merge: true, method: SynthesisMethod.Iclm));
        SplitSample.AssertSameTree(local, outDir);
        var ids = DatasetReader.ReadDocuments(outDir).SelectMany(d => d.GetProperty("spans").EnumerateArray().Select(s => s.GetProperty("document").GetString())).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public void The_shingle_files_of_an_index_merged_from_three_ranks_equal_a_local_build()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 4, documentsPerFile: 60);
        string local = Path.Combine(root, "local"), merged = Path.Combine(root, "merged");
        IndexStage.Run(IndexOptions(corpus, local));
        for (int r = 0; r < 3; r++) IndexStage.Run(IndexOptions(corpus, merged, new RankAssignment(r, 3)));
        IndexStage.Run(IndexOptions(corpus, merged, merge: true));
        foreach (string file in new[] { "chunks.shingles", "chunks.shingles.offsets" })
        {
            Assert.True(new FileInfo(Path.Combine(local, file)).Length > 0, file);
            using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(local, "manifest.json")));
            Assert.True(manifest.RootElement.GetProperty("file_checksums").TryGetProperty(file, out _), $"{file} has no checksum in the manifest");
        }
        SplitSample.AssertSameTree(local, merged);
        using var index = NExtLong.Index.ChunkIndex.Open(merged);
        for (long id = 0; id < index.ChunkCount; id += 97)
            Assert.Equal(NExtLong.Chunking.Shingles.Of(index.ChunkText(id)), index.ChunkShingles(id).ToArray());
    }

    [Fact]
    public void An_ivf_index_merged_from_ranks_equals_a_local_build()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 3, documentsPerFile: 200);
        string local = Path.Combine(root, "local"), merged = Path.Combine(root, "merged");
        IndexStage.Run(IndexOptions(corpus, local, spec: "IVF16,SQ8"));
        for (int r = 0; r < 2; r++) IndexStage.Run(IndexOptions(corpus, merged, new RankAssignment(r, 2), spec: "IVF16,SQ8"));
        IndexStage.Run(IndexOptions(corpus, merged, merge: true, spec: "IVF16,SQ8"));
        Assert.True(File.Exists(Path.Combine(merged, "vectors.ivf")));
        SplitSample.AssertSameTree(local, merged);
    }

    [Fact]
    public void A_rerun_skips_finished_units_and_redoes_work_made_with_another_configuration()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 5, documentsPerFile: 40);
        string index = Path.Combine(root, "index");
        var rank0 = new RankAssignment(0, 2);
        Assert.Equal(3, IndexStage.Run(IndexOptions(corpus, index, rank0)).UnitsDone); // units 0, 2, 4
        Assert.Equal(0, IndexStage.Run(IndexOptions(corpus, index, rank0)).UnitsDone);
        // Other chunking is other work: the markers of the first configuration do not count for it.
        Assert.Equal(3, IndexStage.Run(IndexOptions(corpus, index, rank0, chunkChars: 1024)).UnitsDone);
        Assert.Equal(0, IndexStage.Run(IndexOptions(corpus, index, rank0, chunkChars: 1024)).UnitsDone);

        // Rank 1 has not run: the merge names what is missing and writes nothing.
        var missing = Assert.Throws<InvalidOperationException>(() => IndexStage.Run(IndexOptions(corpus, index, merge: true, chunkChars: 1024)));
        Assert.Contains("unit-00001", missing.Message);
        Assert.Contains("unit-00003", missing.Message);
        Assert.DoesNotContain("unit-00000", missing.Message);
        Assert.False(Directory.Exists(index));

        IndexStage.Run(IndexOptions(corpus, index, new RankAssignment(1, 2), chunkChars: 1024));
        var done = IndexStage.Run(IndexOptions(corpus, index, merge: true, chunkChars: 1024));
        Assert.Equal(200, done.Documents);
        // Once merged, a rank (say, requeued by Slurm) finds the index complete and does nothing.
        Assert.True(IndexStage.Run(IndexOptions(corpus, index, rank0, chunkChars: 1024)).Reused);
        // Not when it is asked for another index spec, or to read another field: that is another index.
        Assert.False(IndexStage.Run(IndexOptions(corpus, index, rank0, spec: "IVF4,Flat", chunkChars: 1024)).Reused);
        var otherId = IndexOptions(corpus, index, rank0, chunkChars: 1024);
        Assert.False(IndexStage.Run(otherId with { Corpus = otherId.Corpus with { IdField = "doc_id" } }).Reused);
    }

    [Fact]
    public void A_merge_without_ranks_or_with_missing_blocks_fails_clearly()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 2, documentsPerFile: 100);
        string index = Path.Combine(root, "index"), outDir = Path.Combine(root, "out");
        var none = Assert.Throws<InvalidOperationException>(() => IndexStage.Run(IndexOptions(corpus, index, merge: true)));
        Assert.Contains("no work to merge", none.Message);

        IndexStage.Run(IndexOptions(corpus, index));
        SynthesisStage.Run(SynthesisOptions(corpus, index, outDir, new RankAssignment(1, 2)));
        var blocks = Assert.Throws<InvalidOperationException>(() => SynthesisStage.Run(SynthesisOptions(corpus, index, outDir, merge: true)));
        Assert.Contains("block-00000", blocks.Message);
        Assert.False(File.Exists(Path.Combine(outDir, "stats.json")));
        Assert.ThrowsAny<ArgumentException>(() => SynthesisStage.Run(SynthesisOptions(corpus, index, outDir, new RankAssignment(0, 2), merge: true)));
    }

    [Fact]
    public void Ranks_writing_the_same_plan_at_once_do_not_trip_over_each_other()
    {
        // Found on the Slurm cluster: two array tasks starting together shared one temporary name for plan.json.
        string root = TempDir.Create();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            for (int i = 0; i < 200; i++) new WorkFolder(Path.Combine(root, "out"), "the same plan").Prepare();
        });
        Assert.Equal("the same plan", File.ReadAllText(Path.Combine(root, "out.work", "plan.json")));
        Assert.Empty(Directory.GetFiles(Path.Combine(root, "out.work"), "*.tmp"));
    }

    [Fact]
    public void Rank_and_world_size_come_from_options_or_a_Slurm_array()
    {
        Func<string, string?> Env(params (string Key, string Value)[] vars) => k => vars.FirstOrDefault(v => v.Key == k).Value;
        Assert.Null(RankAssignment.Resolve(null, null, Env()));
        Assert.Equal(new RankAssignment(2, 4), RankAssignment.Resolve(2, 4, Env(("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "9"))));
        Assert.Equal(new RankAssignment(2, 4), RankAssignment.Resolve(null, null,
            Env(("SLURM_ARRAY_TASK_ID", "5"), ("SLURM_ARRAY_TASK_MIN", "3"), ("SLURM_ARRAY_TASK_COUNT", "4"))));
        Assert.Equal(new RankAssignment(0, 1), RankAssignment.Resolve(null, null, Env(("SLURM_ARRAY_TASK_ID", "0"), ("SLURM_ARRAY_TASK_COUNT", "1"))));
        Assert.Contains("go together", Assert.Throws<ArgumentException>(() => RankAssignment.Resolve(1, null, Env())).Message);
        Assert.ThrowsAny<ArgumentException>(() => RankAssignment.Resolve(4, 4, Env()));
        Assert.Throws<ArgumentException>(() => RankAssignment.Resolve(null, null, Env(("SLURM_ARRAY_TASK_ID", "x"), ("SLURM_ARRAY_TASK_COUNT", "2"))));
        Assert.Equal([1, 4, 7], new RankAssignment(1, 3).Units(9));
    }

    [Fact]
    public void The_cli_takes_ranks_from_the_Slurm_array_variables_and_rejects_half_given_ones()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 3, documentsPerFile: 30);
        string index = Path.Combine(root, "index");
        var (code, _, stderr) = CliProcess.Run("index", "-i", corpus, "-o", index, "--rank", "1");
        Assert.Equal(1, code);
        Assert.Contains("--rank and --world-size go together", stderr);

        foreach (var id in new[] { "10", "11", "12" })
        {
            var (c, _, e) = CliProcess.Run(TimeSpan.FromMinutes(3), info =>
            {
                info.Environment["SLURM_ARRAY_TASK_ID"] = id;
                info.Environment["SLURM_ARRAY_TASK_MIN"] = "10";
                info.Environment["SLURM_ARRAY_TASK_COUNT"] = "3";
            }, "index", "-i", corpus, "-o", index);
            Assert.True(c == 0, e);
            Assert.Contains($"rank {int.Parse(id) - 10} of 3", e);
        }
        Assert.False(Directory.Exists(index));
        var merge = CliProcess.Run("index", "-i", corpus, "-o", index, "--merge");
        Assert.True(merge.ExitCode == 0, merge.Stderr);
        Assert.True(File.Exists(Path.Combine(index, "manifest.json")));
    }
}

/// <summary>The embed stage as ranks: the merged vectors equal a local run's and the index's.</summary>
public class DistributedEmbedTests
{
    [Fact]
    public void Embed_ranks_then_merge_give_the_local_vectors()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 4, documentsPerFile: 60);
        string local = Path.Combine(root, "local"), merged = Path.Combine(root, "merged"), index = Path.Combine(root, "index");
        EmbedStage.Run(new EmbedStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = local });
        int units = 0;
        for (int r = 0; r < 3; r++)
            units += EmbedStage.Run(new EmbedStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = merged, Execution = new() { Rank = new RankAssignment(r, 3), Threads = 1 } }).UnitsDone;
        Assert.Equal(4, units);
        Assert.False(File.Exists(Path.Combine(merged, EmbedStage.VectorsFile)));
        var done = EmbedStage.Run(new EmbedStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = merged, Execution = new() { Merge = true } });
        Assert.Equal(240, done.Documents);
        var expected = File.ReadAllBytes(Path.Combine(local, EmbedStage.VectorsFile));
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(merged, EmbedStage.VectorsFile))));
        // The same vectors the index stage stores.
        IndexStage.Run(new IndexStage.Options { Retriever = RetrieverKind.Dense, Corpus = new() { Inputs = [corpus] }, OutDir = index });
        Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(index, "vectors.flat"))));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(merged, EmbedStage.ManifestFile)));
        Assert.Equal(done.Chunks, json.RootElement.GetProperty("chunks").GetInt64());
    }

    [Fact]
    public void The_merge_refuses_vectors_made_from_an_earlier_version_of_an_input_file()
    {
        string root = TempDir.Create();
        string corpus = SplitSample.Create(root, files: 2, documentsPerFile: 20);
        string outDir = Path.Combine(root, "out");
        for (int r = 0; r < 2; r++)
            EmbedStage.Run(new EmbedStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = outDir, Execution = new() { Rank = new RankAssignment(r, 2), Threads = 1 } });
        // Same size, other bytes: only the content says the vectors are stale.
        string edited = Path.Combine(corpus, "part-01.jsonl");
        byte[] bytes = File.ReadAllBytes(edited);
        int at = bytes.AsSpan().IndexOf("the "u8);
        "THE "u8.CopyTo(bytes.AsSpan(at));
        File.WriteAllBytes(edited, bytes);

        var stale = Assert.Throws<InvalidDataException>(() => EmbedStage.Run(new EmbedStage.Options { Corpus = new() { Inputs = [corpus] }, OutDir = outDir, Execution = new() { Merge = true } }));
        Assert.Contains($"an earlier version of {edited}", stale.Message);
        Assert.Contains("unit-00001", stale.Message);
        Assert.False(File.Exists(Path.Combine(outDir, EmbedStage.ManifestFile)));
        Assert.False(File.Exists(Path.Combine(outDir, EmbedStage.VectorsFile)));
    }
}
