using System.Diagnostics;
using NExtLong.Output;
using NExtLong.Tokenization;

namespace NExtLong.Tests.Formats;

/// <summary>train-prolong.sh run with bash: a stub torchrun echoes what it would start, a stub transformers gives tokenizer ids.</summary>
public class TrainingRecipeTests
{
    private static readonly TokenizerProbe Cl100kProbe = TokenizerProbe.For(TargetTokenizer.Load("cl100k_base"));

    private static DatasetFacts Cl100k(int sequenceTokens) => new("cl100k_base", Cl100kProbe, new SpecialTokenPolicy(null, 100257), sequenceTokens);

    // Llama 3 shares cl100k_base's first 100,000 merges, so the probe's ids are the same; a fixed list keeps the test offline.
    private static DatasetFacts Llama3(int sequenceTokens) => new("llama3", Cl100kProbe, new SpecialTokenPolicy(128000, 128001), sequenceTokens);

    /// <summary>A dataset folder with the recipe and an mds/index.json for it to find.</summary>
    private static string Dataset(TrainingRecipe recipe)
    {
        string dir = TempDir.Create();
        Directory.CreateDirectory(Path.Combine(dir, "mds"));
        File.WriteAllText(Path.Combine(dir, "mds", "index.json"), "{\"shards\": [], \"version\": 2}");
        recipe.Write(dir, "mds");
        return dir;
    }

    /// <param name="tokenizerIds">Ids the stub transformers tokenizer gives any text; null: no stub, so no transformers.</param>
    private static (int ExitCode, string Stdout, string Stderr) Run(string dir, Dictionary<string, string> env, IReadOnlyList<int>? tokenizerIds = null)
    {
        string bin = Path.Combine(dir, "stub-bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "torchrun"), "#!/bin/sh\necho \"torchrun $*\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "torchrun"), (UnixFileMode)0b111_101_101);
        var info = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(dir, TrainingRecipe.FileName));
        info.Environment.Remove("MODEL");
        info.Environment.Remove("PYTHONPATH");
        info.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        if (tokenizerIds is not null)
        {
            string package = Path.Combine(dir, "stub-py", "transformers");
            Directory.CreateDirectory(package);
            File.WriteAllText(Path.Combine(package, "__init__.py"), $$"""
                class _Tokenizer:
                    def encode(self, text, add_special_tokens=True): return [{{string.Join(", ", tokenizerIds)}}]
                    def __len__(self): return 128256
                class AutoTokenizer:
                    @staticmethod
                    def from_pretrained(name): return _Tokenizer()
                """);
            info.Environment["PYTHONPATH"] = Path.Combine(dir, "stub-py");
        }
        foreach (var (k, v) in env) info.Environment[k] = v;
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = p.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)));
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void A_cl100k_recipe_assumes_no_model_and_refuses_to_start_until_MODEL_is_set()
    {
        var recipe = TrainingRecipe.For(131_073, Cl100k(131_073));
        string dir = Dataset(recipe);
        string script = File.ReadAllText(Path.Combine(dir, TrainingRecipe.FileName));
        Assert.Contains("MODEL=${MODEL:-}", script);
        Assert.DoesNotContain("MODEL=${MODEL:-meta-llama", script);

        var (rc, stdout, stderr) = Run(dir, []);
        Assert.Equal(1, rc);
        Assert.Contains("set MODEL first", stderr);
        Assert.Contains("cl100k_base tokens", stderr);
        Assert.Contains($"encode('{TokenizerProbe.DefaultText}', add_special_tokens=False) == [{string.Join(", ", Cl100kProbe.Ids)}]", stderr);
        Assert.DoesNotContain("torchrun", stdout);

        // With a model set, its tokenizer is checked: ids other than the dataset's are refused, the same ids start training.
        (rc, stdout, stderr) = Run(dir, new() { ["MODEL"] = "someone/cl100k-model" }, tokenizerIds: [1, 2, 3]);
        Assert.Equal(1, rc);
        Assert.Contains("this dataset's ids (cl100k_base)", stderr);
        Assert.DoesNotContain("torchrun", stdout);
        (rc, stdout, stderr) = Run(dir, new() { ["MODEL"] = "someone/cl100k-model" }, tokenizerIds: Cl100kProbe.Ids);
        Assert.True(rc == 0, stderr);
        Assert.Contains("--model_name someone/cl100k-model --tokenizer_name someone/cl100k-model", stdout);

        Assert.Contains("so no model is assumed", recipe.CardSection());
        Assert.Contains(recipe.CheckCommand(), recipe.CardSection());
        Assert.Contains("so no model is assumed", TrainingRecipe.For(4096, DatasetFacts.Unknown).CardSection());
    }

    [Fact]
    public void A_llama3_recipe_starts_from_the_paper_s_models()
    {
        Assert.Equal("meta-llama/Meta-Llama-3-8B", TrainingRecipe.For(131_074, Llama3(131_074)).Model);
        Assert.Equal("princeton-nlp/Llama-3-8B-ProLong-64k-Base", TrainingRecipe.For(524_288, Llama3(524_288)).Model);
        var recipe = TrainingRecipe.For(131_074, Llama3(131_074));
        string dir = Dataset(recipe);
        Assert.Contains("MODEL=${MODEL:-meta-llama/Meta-Llama-3-8B}", File.ReadAllText(Path.Combine(dir, TrainingRecipe.FileName)));
        Assert.Contains("`meta-llama/Meta-Llama-3-8B`", recipe.CardSection());

        var (rc, stdout, stderr) = Run(dir, [], tokenizerIds: Cl100kProbe.Ids);
        Assert.True(rc == 0, stderr);
        Assert.Contains("--model_name meta-llama/Meta-Llama-3-8B", stdout);
        Assert.Contains("--config_overrides rope_theta=200000000", stdout);
        Assert.Contains("--learning_rate 4e-5", stdout);
    }

    [Fact]
    public void The_512K_recipe_trains_ProLong_s_16_sequences_8M_tokens_a_step()
    {
        var recipe = TrainingRecipe.For(524_288, Llama3(524_288));
        Assert.Equal(16, recipe.SequencesPerStep);
        Assert.Equal(8_388_608, recipe.TokensPerStep);
        Assert.Contains("16 sequences × 524,288 ids = 8,388,608 tokens per optimizer step", recipe.CardSection());
        string dir = Dataset(recipe);
        string script = File.ReadAllText(Path.Combine(dir, TrainingRecipe.FileName));
        Assert.Contains("16 sequences x 524,288 ids = 8,388,608 tokens per optimizer step", script);
        Assert.Contains("BSZ=${BSZ:-128}", script);
        Assert.Contains("SEQ_PARALLEL=${SEQ_PARALLEL:-8}", script);
        Assert.Contains("LR=${LR:-1e-5}", script);
        Assert.Contains("STEPS=${STEPS:-500}", script);
        Assert.Contains("WARMUP_RATIO=${WARMUP_RATIO:-0.1}", script);
        Assert.Contains("ROPE_THETA=${ROPE_THETA:-128000000}", script);

        // One node of 8 GPUs: one sequence-parallel group, 16 accumulation steps of one sequence each.
        var (rc, stdout, stderr) = Run(dir, new() { ["CHECK_TOKENIZER"] = "0" });
        Assert.True(rc == 0, stderr);
        Assert.Contains("16 sequences x 524288 ids = 8388608 tokens per optimizer step", stdout);
        Assert.Contains("--gradient_accumulation_steps 16", stdout);
        Assert.Contains("--per_device_max_tokens 524288 --seq_parallel_size 8", stdout);
        // The paper's 128 GPUs: 16 groups, no accumulation, the same 16 sequences a step.
        (rc, stdout, stderr) = Run(dir, new() { ["CHECK_TOKENIZER"] = "0", ["NUM_NODES"] = "16" });
        Assert.True(rc == 0, stderr);
        Assert.Contains("16 sequences x 524288 ids = 8388608 tokens per optimizer step", stdout);
        Assert.Contains("--gradient_accumulation_steps 1", stdout);

        // A MAX_TOKENS below the sequence would have the collator cut every sequence.
        (rc, _, stderr) = Run(dir, new() { ["CHECK_TOKENIZER"] = "0", ["MAX_TOKENS"] = "65536" });
        Assert.Equal(1, rc);
        Assert.Contains("collator would cut", stderr);
    }

    [Fact]
    public void The_128K_recipe_trains_Table_9_s_4M_tokens_a_step()
    {
        var recipe = TrainingRecipe.For(131_072, Llama3(131_072));
        Assert.Equal(32, recipe.SequencesPerStep);
        Assert.Equal(4_194_304, recipe.TokensPerStep);
        string dir = Dataset(recipe);
        var (rc, stdout, stderr) = Run(dir, new() { ["CHECK_TOKENIZER"] = "0" });
        Assert.True(rc == 0, stderr);
        Assert.Contains("32 sequences x 131072 ids = 4194304 tokens per optimizer step", stdout);
        Assert.Contains("--gradient_accumulation_steps 8", stdout);
        Assert.Contains("--warmup_ratio 0.2 --max_steps 1000", stdout);
    }
}
