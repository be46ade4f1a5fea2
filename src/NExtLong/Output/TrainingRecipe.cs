using System.Globalization;
using System.Text.Json;

namespace NExtLong.Output;

/// <summary>
/// A ready-to-edit shell script that trains on a dataset with ProLong's trainer, using the NExtLong paper's
/// hyper-parameters: Table 9 (128K) for sequences up to 128K tokens plus special tokens, else Table 10 (512K).
/// The model follows the dataset's tokenizer: the paper's Llama 3 models for llama3 ids; for any other tokenizer
/// none is assumed, and the script refuses to start until MODEL names one. Either way it first checks that the
/// model's tokenizer gives the dataset's ids for a probe text (<see cref="TokenizerProbe"/>).
/// </summary>
/// <remarks>
/// The batch follows ProLong's scripts (train_64K.sh, train_512K.sh; training/dataset.py and trainer.py):
/// BSZ counts the one-sample batches of every GPU in a step, and the GPUs of a sequence-parallel group all read
/// the same sequence (streaming's replication = --seq_parallel_size), so a step trains on BSZ / SEQ_PARALLEL
/// distinct sequences — train_512K.sh's "bsz 128 * 512K / 8 (seq parallel size) = 8M" tokens.
/// </remarks>
internal sealed class TrainingRecipe
{
    public const string FileName = "train-prolong.sh";

    private const long Table9Limit = 131_072 + 2;

    private TrainingRecipe(long sequenceTokens, DatasetFacts facts)
    {
        SequenceTokens = sequenceTokens;
        Facts = facts;
    }

    /// <summary>Ids per sequence (the longest, if they differ).</summary>
    public long SequenceTokens { get; }

    /// <summary>The dataset's tokenizer and special tokens.</summary>
    public DatasetFacts Facts { get; }

    /// <summary>Table 9 (128K) rather than Table 10 (512K).</summary>
    public bool Table9 => SequenceTokens <= Table9Limit;

    /// <summary>The paper's initial model when the ids are Llama 3's; empty otherwise, where no model is assumed.</summary>
    public string Model => Facts.Tokenizer != "llama3" ? ""
        : Table9 ? "meta-llama/Meta-Llama-3-8B" : "princeton-nlp/Llama-3-8B-ProLong-64k-Base";

    /// <summary>GPUs sharing one sequence: 64K ids each, as ProLong's 512K run (524,288 / 8).</summary>
    public int SeqParallel => Table9 ? 2 : 8;

    /// <summary>ProLong's bsz: one-sample batches of all GPUs per step, replicas of a sequence counted each.</summary>
    public int Bsz => Table9 ? 64 : 128;

    /// <summary>Distinct sequences per optimizer step: 32 (Table 9's 4M tokens of 128K) or 16 (ProLong's 8M of 512K).</summary>
    public long SequencesPerStep => Bsz / SeqParallel;

    public long TokensPerStep => SequencesPerStep * SequenceTokens;

    public static TrainingRecipe For(long sequenceTokens, DatasetFacts facts) => new(sequenceTokens, facts);

    /// <summary>Writes the script into <paramref name="dir"/>, executable; returns its name.</summary>
    /// <param name="dir">The folder the script goes into.</param>
    /// <param name="mdsFolder">The MDS dataset relative to <paramref name="dir"/> ("" for the folder itself).</param>
    public string Write(string dir, string mdsFolder)
    {
        string path = Path.Combine(dir, FileName);
        Pipeline.AtomicFile.WriteAllText(path, Render(mdsFolder), executable: true);
        return FileName;
    }

    /// <summary>The dataset card's training section (markdown).</summary>
    public string CardSection()
    {
        string settings = Table9
            ? "Table 9 (128K): rotary base 200,000,000, lr 4e-5, 1000 steps (200 warm-up)"
            : "Table 10 (512K): rotary base 128,000,000, lr 1e-5, 500 steps (50 warm-up)";
        string step = $"{N(SequencesPerStep)} sequences × {N(SequenceTokens)} ids = {N(TokensPerStep)} tokens per optimizer step "
            + $"(ProLong's BSZ {Bsz} with sequence parallelism {SeqParallel}: the {SeqParallel} GPUs of a group read one sequence)";
        string model = Model.Length > 0
            ? $"It starts from `{Model}`, the paper's model for Llama 3 ids, and first checks that the model's tokenizer gives this dataset's ids."
            : $"{NoModelReason()} The script refuses to start until `MODEL` names a model whose tokenizer is "
              + $"{TokenizerWords()}, and then checks that it gives this dataset's ids. Check a model by hand: `{CheckCommand()}`"
              + (Facts.Probe is null ? "." : " (should print `True`).");
        return $"`{FileName}` trains on this data with ProLong's trainer using the NExtLong paper's hyper-parameters, {settings}; "
            + $"{step}. {model} Edit its variables first.";
    }

    /// <summary>A one-line check that a model's tokenizer gives the dataset's ids for the probe text; MODEL stands for the model.</summary>
    public string CheckCommand() => Facts.Probe is { } p
        ? $"python3 -c \"from transformers import AutoTokenizer as A; print(A.from_pretrained('MODEL').encode('{p.Text}', add_special_tokens=False) == [{string.Join(", ", p.Ids)}])\""
        : "python3 -c \"from transformers import AutoTokenizer as A; t = A.from_pretrained('MODEL'); print(len(t), t.bos_token_id, t.eos_token_id)\"";

    public string Render(string mdsFolder)
    {
        bool t9 = Table9;
        int padding = (int)((SeqParallel - SequenceTokens % SeqParallel) % SeqParallel);
        string modelLine = Model.Length > 0
            ? $"MODEL=${{MODEL:-{Model}}}  # the paper's initial model for {(t9 ? "Table 9" : "Table 10")}; its tokenizer is Llama 3's, as this dataset's"
            : $"MODEL=${{MODEL:-}}  # no default: this dataset's ids are {TokenizerWords()} tokens; set a model whose tokenizer is the same";
        string tokenizerComment = Model.Length > 0
            ? "# Tokenizer. This dataset's ids are llama3 (Llama 3) tokens, so the paper's Llama 3 models apply."
            : $"# Tokenizer. {NoModelReason()}\n# Set MODEL to a model whose tokenizer is {TokenizerWords()}; check one with\n#   {CheckCommand()}";
        return $$"""
            #!/usr/bin/env bash
            # Trains on this dataset with ProLong's trainer (github.com/princeton-nlp/ProLong; NExtLong's fork is in
            # github.com/caskcsg/longcontext, NExtLong/training). Written by nextlong: edit the variables, then run it
            # from the trainer's checkout. Any variable can also be set in the environment; arguments after the
            # script's name go to the trainer (e.g. --min_lr_ratio 0.1, which ProLong's scripts pass).
            #
            # Hyper-parameters of the NExtLong paper (Gao et al., ICML 2025), {{(t9 ? "Table 9, 128K" : "Table 10, 512K")}}, chosen
            # because this dataset's sequences are {{N(SequenceTokens)}} ids:
            #   Table 9  (128K): Meta-Llama-3-8B, rotary base 200,000,000, lr 4e-5, 1000 steps, 200 warm-up, seq 131072,
            #                    64 H100; batch 4M tokens (the paper's setup: 32 sequences of 128K)
            #   Table 10 (512K): Llama-3-8B-ProLong-64k-Base, rotary base 128,000,000, lr 1e-5, 500 steps, 50 warm-up,
            #                    seq 524288, 128 H100; batch not in the table: ProLong's train_512K.sh, 8M tokens
            #                    (16 sequences of 512K)
            #   both: AdamW beta1 0.9, beta2 0.95, weight decay 0.1, gradient clipping 1.0, cosine decay, bf16
            # Batch, as in ProLong's scripts: BSZ counts every GPU's one-sample batch of a step, and the SEQ_PARALLEL GPUs
            # of a group read the same sequence (streaming replication), so a step trains on BSZ / SEQ_PARALLEL
            # sequences. Here: {{N(SequencesPerStep)}} sequences x {{N(SequenceTokens)}} ids = {{N(TokensPerStep)}} tokens per optimizer step.
            # ProLong's train_512K.sh uses lr 5e-6 and --min_lr_ratio 0.1; the paper's Table 10 says lr 1e-5.
            # The paper's 512K run mixed NExtLong-512K : NExtLong-64K (packed to 512K) = 1 : 2 (see `nextlong mix`).
            # Flags and batch semantics follow ProLong's train_64K.sh, train_512K.sh and training/dataset.py,
            # trainer.py, train_language_model.py (princeton-nlp/ProLong, main branch).
            {{tokenizerComment}}
            set -euo pipefail

            here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
            DATA=${DATA:-$here{{(mdsFolder.Length == 0 ? "" : "/" + mdsFolder)}}}  # MDS dataset; ProLong also takes DATA/<domain>@<share> lists
            {{modelLine}}
            OUT=${OUT:-checkpoints/nextlong-{{(t9 ? "128k" : "512k")}}}
            ROPE_THETA=${ROPE_THETA:-{{(t9 ? "200000000" : "128000000")}}}
            LR=${LR:-{{(t9 ? "4e-5" : "1e-5")}}}
            STEPS=${STEPS:-{{(t9 ? "1000" : "500")}}}
            WARMUP_RATIO=${WARMUP_RATIO:-{{(t9 ? "0.2" : "0.1")}}}  # {{(t9 ? "200" : "50")}} warm-up steps
            BSZ=${BSZ:-{{Bsz}}}  # ProLong's bsz: one-sample batches of all GPUs per step; {{SequencesPerStep}} distinct sequences with SEQ_PARALLEL={{SeqParallel}}
            SEQ_PARALLEL=${SEQ_PARALLEL:-{{SeqParallel}}}  # GPUs sharing one sequence (--seq_parallel_size)
            SEQ_TOKENS={{SequenceTokens}}  # ids per sequence in this dataset (the longest)
            MAX_TOKENS=${MAX_TOKENS:-$SEQ_TOKENS}  # ids a GPU's batch may hold; the collator cuts what is longer, so at least SEQ_TOKENS
            # The trainer pads each sequence to a multiple of SEQ_PARALLEL: {{padding}} pad id(s) a sequence with the defaults.
            NUM_NODES=${NUM_NODES:-1}
            NUM_GPUS=${NUM_GPUS:-8}  # per node; the paper used {{(t9 ? "64" : "128")}} H100 in all
            CHECK_TOKENIZER=${CHECK_TOKENIZER:-1}  # 0 skips the check that MODEL's tokenizer gives this dataset's ids

            {{MissingModelCheck()}}[ -f "$DATA/index.json" ] || { echo "train-prolong.sh: no MDS dataset at $DATA (make one with: nextlong synthesize --format mds)" >&2; exit 1; }
            gpus=$((NUM_NODES * NUM_GPUS))
            (( gpus % SEQ_PARALLEL == 0 )) || { echo "train-prolong.sh: $gpus GPUs do not split into sequence-parallel groups of SEQ_PARALLEL=$SEQ_PARALLEL" >&2; exit 1; }
            (( BSZ % gpus == 0 )) || { echo "train-prolong.sh: BSZ=$BSZ is not a multiple of the $gpus GPUs (ProLong's accumulation is BSZ / GPUs)" >&2; exit 1; }
            (( MAX_TOKENS >= SEQ_TOKENS )) || { echo "train-prolong.sh: MAX_TOKENS=$MAX_TOKENS is below the $SEQ_TOKENS ids of a sequence; the collator would cut every sequence" >&2; exit 1; }
            accumulation=$((BSZ / gpus))
            sequences=$((BSZ / SEQ_PARALLEL))
            echo "train-prolong.sh: $sequences sequences x $SEQ_TOKENS ids = $((sequences * SEQ_TOKENS)) tokens per optimizer step (BSZ=$BSZ / SEQ_PARALLEL=$SEQ_PARALLEL; $gpus GPUs, accumulation $accumulation)"
            if [ "$CHECK_TOKENIZER" != 0 ]; then
                MODEL="$MODEL" python3 - <<'PY' || { echo "train-prolong.sh: MODEL=$MODEL: its tokenizer could not be checked against this dataset's ids (above); CHECK_TOKENIZER=0 skips the check" >&2; exit 1; }
            {{TokenizerCheck()}}
            PY
            fi

            export LOGIT_BLOCK_SIZE=${LOGIT_BLOCK_SIZE:-2048}  # logits in blocks, as ProLong's scripts
            export FSDP_SHARDING_STRATEGY=${FSDP_SHARDING_STRATEGY:-1} FSDP_STATE_DICT_TYPE=${FSDP_STATE_DICT_TYPE:-FULL_STATE_DICT}
            torchrun --nnodes="$NUM_NODES" --nproc_per_node="$NUM_GPUS" ${TORCHRUN_ARGS:-} -m training.train_language_model \
                --do_train --bf16 \
                --model_name "$MODEL" --tokenizer_name "$MODEL" \
                --output_dir "$OUT" --run_name "$(basename "$OUT")" \
                --tokenized_mds_train "$DATA" \
                --config_overrides "rope_theta=$ROPE_THETA" \
                --per_device_train_batch_size 1 --gradient_accumulation_steps "$accumulation" \
                --per_device_max_tokens "$MAX_TOKENS" --seq_parallel_size "$SEQ_PARALLEL" \
                --learning_rate "$LR" --lr_scheduler_type cosine --warmup_ratio "$WARMUP_RATIO" --max_steps "$STEPS" \
                --adam_beta1 0.9 --adam_beta2 0.95 --weight_decay 0.1 --max_grad_norm 1.0 \
                --optim adamw_torch --fsdp auto_wrap --gradient_checkpointing \
                --remove_unused_columns false --ddp_find_unused_parameters false --logging_steps 1 --save_steps 125 \
                "$@"

            """;
    }

    // The refusal when no model is assumed: before anything else, so nothing runs on a guessed model.
    private string MissingModelCheck() => Model.Length > 0 ? "" : $$"""
        if [ -z "$MODEL" ]; then
            cat >&2 <<'EOF'
        train-prolong.sh: set MODEL first. {{NoModelReason()}}
        Set MODEL to a Hugging Face model or folder whose tokenizer is {{TokenizerWords()}}, e.g.
          MODEL=org/model ./train-prolong.sh
        The script then checks that its tokenizer gives this dataset's ids. Check a model by hand (MODEL is its name):
          {{CheckCommand()}}
        EOF
            exit 1
        fi

        """;

    // Python run before training: the probe text must encode to the dataset's ids, and the special ids must exist.
    private string TokenizerCheck()
    {
        var lines = new List<string>
        {
            "import os, sys",
            "from transformers import AutoTokenizer",
            "tokenizer = AutoTokenizer.from_pretrained(os.environ[\"MODEL\"])",
        };
        if (Facts.Probe is { } p)
        {
            lines.Add($"text, want = {JsonContracts.Plain.Serialize(p.Text)}, [{string.Join(", ", p.Ids)}]");
            lines.Add("got = tokenizer.encode(text, add_special_tokens=False)");
            lines.Add($"if got != want: sys.exit(f\"MODEL's tokenizer gives {{got}} for {{text!r}}; this dataset's ids ({Facts.Tokenizer}) are {{want}}\")");
        }
        else
        {
            lines.Add("print(\"train-prolong.sh: this dataset records no tokenizer; MODEL's tokenizer cannot be checked against it\", file=sys.stderr)");
        }
        int?[] specials = [Facts.Specials?.Bos, Facts.Specials?.Eos];
        if (specials.Any(s => s is not null))
        {
            lines.Add($"missing = [i for i in [{string.Join(", ", specials.OfType<int>())}] if i >= len(tokenizer)]");
            lines.Add("if missing: sys.exit(f\"MODEL's vocabulary ({len(tokenizer)} ids) lacks the special ids {missing} of this dataset\")");
        }
        return string.Join('\n', lines);
    }

    private string NoModelReason() => Facts.Tokenizer is null
        ? "This dataset records no tokenizer (its inputs have no nextlong config.json), so no model is assumed for its ids."
        : $"This dataset's ids are {Facts.Tokenizer} tokens, and the paper's models (Meta-Llama-3-8B, Llama-3-8B-ProLong-64k-Base) read Llama 3 ids, so no model is assumed.";

    private string TokenizerWords() => Facts.Tokenizer is null ? "the one the data was tokenized with" : Facts.Tokenizer;

    private static string N(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);
}
