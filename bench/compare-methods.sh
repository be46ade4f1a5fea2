#!/usr/bin/env bash
# Runs every method and ablation of the paper on one corpus and one index (plus one index per chunk granularity),
# then prints a markdown table of what each made and writes one HTML report comparing them.
# Usage: bench/compare-methods.sh [CORPUS] [WORK_DIR] [NUM_SAMPLES] [TARGET_TOKENS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${1:-$root/samples/sample-docs.jsonl.gz}"
work="${2:-$root/out/compare}"
n="${3:-16}"
t="${4:-32768}"
nl="$root/nextlong"
mkdir -p "$work"

"$nl" index --retriever dense --input "$corpus" --out "$work/index-2048" >&2
runs=()
synth() { # name, index dir, extra options...
  local name=$1 index=$2; shift 2
  local start=$(date +%s.%N)
  "$nl" synthesize --index "$index" --input "$corpus" --out "$work/$name" -n "$n" --target-tokens "$t" --overwrite "$@" >&2
  echo "$name $(echo "$(date +%s.%N) - $start" | bc)" >> "$work/times.txt"
  runs+=("$work/$name")
}
: > "$work/times.txt"
synth nextlong "$work/index-2048"
for m in standard knn iclm quest; do synth "$m" "$work/index-2048" --method "$m"; done
for s in tailk randomr randomd selfrepeat; do synth "negatives-$s" "$work/index-2048" --negatives "$s"; done
for p in tail random; do synth "placement-$p" "$work/index-2048" --placement "$p"; done
for s in 512 1024 8192; do
  "$nl" index --retriever dense --input "$corpus" --out "$work/index-$s" --chunk-chars "$s" >&2
  synth "granularity-$s" "$work/index-$s"
done
"$nl" report "${runs[@]}" -o "$work/report.html" >&2

/usr/bin/env python3 - "$work" "${runs[@]}" <<'PY'
import json, sys, os
work, runs = sys.argv[1], sys.argv[2:]
times = dict(l.split() for l in open(os.path.join(work, "times.txt")))
print("| run | method | negatives | placement | s | documents | mean k | meta token share | mean similarity | near-dup skipped | dropped | seconds |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    c = json.load(open(os.path.join(r, "config.json"))); s = json.load(open(os.path.join(r, "stats.json")))
    name = os.path.basename(r)
    nextlong = c['method'] == 'nextlong'
    sel, place = (c['negative_selection'], c['meta_chunk_placement']) if nextlong else ('–', '–')
    print(f"| {name} | {c['method']} | {sel} | {place} | {c['index']['chunk_chars']} | {s['documents_written']} | {s['k']['mean']:.1f} | {s['tokens']['meta_share']:.3f} | {s['similarity']['mean']:.4f} | {s['near_duplicates_skipped']} | {sum(s['dropped'].values())} | {float(times[name]):.1f} |")
PY
