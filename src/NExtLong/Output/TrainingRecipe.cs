using System.Globalization;

namespace NExtLong.Output;

/// <summary>
/// A ready-to-edit shell script that trains on a dataset with ProLong's trainer, using the NExtLong paper's
/// hyper-parameters: Table 9 (128K) for sequences up to 128K tokens plus special tokens, else Table 10 (512K).
/// </summary>
public static class TrainingRecipe
{
    public const string FileName = "train-prolong.sh";

    /// <param name="dir">The dataset folder the script is written into.</param>
    /// <param name="mdsFolder">The MDS dataset relative to <paramref name="dir"/> ("" for the folder itself).</param>
    /// <param name="sequenceTokens">Ids per sequence (the longest, if they differ).</param>
    public static string Write(string dir, string mdsFolder, long sequenceTokens)
    {
        string path = Path.Combine(dir, FileName);
        Pipeline.AtomicFile.WriteAllText(path, Render(mdsFolder, sequenceTokens));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, File.GetUnixFileMode(path) | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        return FileName;
    }

    public static string Render(string mdsFolder, long sequenceTokens)
    {
        bool table9 = sequenceTokens <= 131_072 + 2;
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        return $$"""
            #!/usr/bin/env bash
            # Trains on this dataset with ProLong's trainer (github.com/princeton-nlp/ProLong; NExtLong's fork is in
            # github.com/caskcsg/longcontext, NExtLong/training). Written by nextlong: edit the variables, then run it
            # from the trainer's checkout. Any variable can also be set in the environment.
            #
            # Hyper-parameters of the NExtLong paper (Gao et al., ICML 2025), {{(table9 ? "Table 9, 128K" : "Table 10, 512K")}}, chosen
            # because this dataset's sequences are {{I(sequenceTokens)}} tokens:
            #   Table 9  (128K): Meta-Llama-3-8B, rotary base 200,000,000, lr 4e-5, 1000 steps, 200 warm-up,
            #                    seq 131072, batch 4M tokens (32 sequences), 64 H100 (trained with GPT-NeoX)
            #   Table 10 (512K): Llama-3-8B-ProLong-64k-Base, rotary base 128,000,000, lr 1e-5, 500 steps,
            #                    50 warm-up, seq 524288, 128 H100
            #   both: AdamW beta1 0.9, beta2 0.95, weight decay 0.1, gradient clipping 1.0, cosine decay, bf16
            # The authors' train_512K.sh uses lr 5e-6, 128 sequences a step and --seq_parallel_size 8; the table says 1e-5.
            # The paper's 512K run mixed NExtLong-512K : NExtLong-64K (packed to 512K) = 1 : 2 (see `nextlong mix`).
            # Flag names follow ProLong's train_64K.sh; they were not checked against a trainer checkout.
            set -euo pipefail

            here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
            DATA=${DATA:-$here{{(mdsFolder.Length == 0 ? "" : "/" + mdsFolder)}}}  # MDS dataset; ProLong also takes DATA/<domain>@<share> lists
            MODEL=${MODEL:-{{(table9 ? "meta-llama/Meta-Llama-3-8B" : "princeton-nlp/Llama-3-8B-ProLong-64k-Base")}}}
            OUT=${OUT:-checkpoints/nextlong-{{(table9 ? "128k" : "512k")}}}
            ROPE_THETA=${ROPE_THETA:-{{(table9 ? "200000000" : "128000000")}}}
            LR=${LR:-{{(table9 ? "4e-5" : "1e-5")}}}
            STEPS=${STEPS:-{{(table9 ? "1000" : "500")}}}
            WARMUP_RATIO=${WARMUP_RATIO:-{{(table9 ? "0.2" : "0.1")}}}  # {{(table9 ? "200" : "50")}} warm-up steps
            BSZ=${BSZ:-{{(table9 ? "32" : "128")}}}  # sequences per optimizer step
            SEQ_PARALLEL=${SEQ_PARALLEL:-{{(table9 ? "2" : "8")}}}  # GPUs sharing one sequence
            MAX_TOKENS=${MAX_TOKENS:-{{I(sequenceTokens)}}}  # one whole sequence; a multiple of SEQ_PARALLEL avoids padding
            NUM_NODES=${NUM_NODES:-1}
            NUM_GPUS=${NUM_GPUS:-8}  # per node; the paper used {{(table9 ? "64" : "128")}} H100 in all

            [ -f "$DATA/index.json" ] || { echo "no MDS dataset at $DATA (make one with: nextlong synthesize --format mds)" >&2; exit 1; }
            data_parallel=$((NUM_NODES * NUM_GPUS / SEQ_PARALLEL))
            accumulation=$((BSZ / data_parallel)); [ "$accumulation" -ge 1 ] || accumulation=1

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
                --optim adamw_torch --remove_unused_columns false --logging_steps 1 --save_steps 125 \
                "$@"

            """;
    }
}
