#!/usr/bin/env bash
# What the machine gives two processes on two cores: `synthesize --threads 1` on core 0 alone, then two of them at once,
# one on each core (separate output folders), REPEATS times. Two processes share no heap, lock or address space, so their
# times against the one alone say how much of a core the second core adds to work of this kind on this machine (the
# ceiling that `--threads 2` in one process is measured against).
# Usage: bench/side-by-side.sh CLI CORPUS INDEX SAMPLES TARGET_TOKENS [REPEATS] [WORK_DIR (kept)]
set -euo pipefail
cli=$1 corpus=$2 index=$3 samples=$4 target=$5 repeats=${6:-5} work=${7:-}
# Without WORK_DIR the runs go to a temporary folder of the script's own, removed at the end (the outputs can be GBs).
if [[ -z "$work" ]]; then work=$(mktemp -d); trap 'rm -rf "$work"' EXIT; fi
args=(synthesize -i "$corpus" --index "$index" --token-cache use --overwrite --format jsonl.zst,mds,megatron
      --target-tokens "$target" -n "$samples" --threads 1)
run() { # core, output folder: prints "wall user+sys"
  /usr/bin/time -f "%e %U %S" taskset -c "$1" "$cli" "${args[@]}" -o "$2" 2>&1 >/dev/null | tail -1 | awk '{printf "%.2f s (%.2f CPU s)", $1, $2 + $3}'
}
echo "side by side: $samples x $target tokens, $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$repeats"); do
  alone=$(run 0 "$work/alone")
  run 0 "$work/core0" > "$work/core0.time" & run 1 "$work/core1" > "$work/core1.time"; wait
  echo "  repeat $r: alone on core 0 $alone; side by side: core 0 $(cat "$work/core0.time"), core 1 $(cat "$work/core1.time")"
done
