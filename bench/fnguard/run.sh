#!/usr/bin/env bash
# False-negative guard: the rate of negatives that are mostly their meta-document's own text, on the sample corpus
# with injected edited copies, before the guard (BEFORE_CLI: nextlong at the commit before it; optional) and with it
# (this checkout, default --false-negative-threshold 0.5, and 1.0), and synthesis seconds. Results: docs/DEDUP.md.
# usage: bench/fnguard/run.sh [WORK_DIR]   env: BEFORE_CLI="dotnet /path/NExtLong.Cli.dll", NEXTLONG (this checkout), T (32768), N (64)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-$root/out/fnguard}"; T="${T:-32768}"; N="${N:-64}"; cli="${NEXTLONG:-$root/nextlong}"
mkdir -p "$work"
corpus="$work/corpus.jsonl.gz"
python3 "$root/bench/fnguard/make-corpus.py" "$root/samples/sample-docs.jsonl.gz" "$corpus"
measure() { zstd -qdc "$1"/part-*.jsonl.zst | python3 "$root/bench/fnguard/measure.py" "$corpus"; }
synth() { # NAME CLI INDEX [options]
  local name=$1 cli=$2 index=$3; shift 3
  local start=$(date +%s.%N)
  $cli synthesize --index "$index" --input "$corpus" --out "$work/$name" --target-tokens "$T" --num-samples "$N" --overwrite "$@" >/dev/null 2>&1
  local secs=$(echo "$(date +%s.%N) - $start" | bc)
  echo "$name seconds=$secs $(measure "$work/$name") false_negatives_skipped=$(jq -c '.false_negatives_skipped // {near_duplicates_skipped: .near_duplicates_skipped}' "$work/$name/stats.json")"
}
if [[ -n "${BEFORE_CLI:-}" ]]; then
  $BEFORE_CLI index --input "$corpus" --out "$work/index-before" >/dev/null 2>&1
  synth before "$BEFORE_CLI" "$work/index-before"
fi
$cli index --input "$corpus" --out "$work/index" >/dev/null 2>&1
synth guard-1.0 "$cli" "$work/index" --false-negative-threshold 1.0
synth guard-0.5 "$cli" "$work/index"
