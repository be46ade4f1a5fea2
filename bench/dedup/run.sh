#!/usr/bin/env bash
# `nextlong dedup` measured: recall of planted copies by Jaccard band, originals wrongly removed, throughput and peak
# memory (GNU time), on the sample corpus with copies of known Jaccard (make-corpus.py); then the fraction of the plain
# sample corpus removed, by kind. Results: docs/DEDUP.md.
# usage: bench/dedup/run.sh [WORK_DIR]   env: NEXTLONG (this checkout), THREADS (2)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${1:-$root/out/dedup-bench}"; cli="${NEXTLONG:-$root/nextlong}"; threads="${THREADS:-2}"
mkdir -p "$work"
python3 "$root/bench/dedup/make-corpus.py" "$root/samples/sample-docs.jsonl.gz" "$work/corpus.jsonl.gz" "$work/truth.jsonl"
$cli --version >/dev/null  # builds first, so the timing is the run's
timed() { # NAME ARGS...: runs, prints wall seconds and peak RSS
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/$name.time" $cli "$@" >/dev/null 2>"$work/$name.log"
  read -r secs kb < "$work/$name.time"
  echo "$name: ${secs} s, peak RSS $((kb / 1024)) MiB"
}
rm -rf "$work/planted" "$work/planted.work" "$work/sample" "$work/sample.work"
timed planted dedup --input "$work/corpus.jsonl.gz" --out "$work/planted" --threads "$threads"
zstd -qdc "$work/planted/duplicates.jsonl.zst" | python3 "$root/bench/dedup/measure.py" "$work/truth.jsonl"
jq -c '{documents_read, documents_kept, removed_exact, removed_near, text_bytes_read}' "$work/planted/stats.json"
read -r secs _ < "$work/planted.time"
jq -r --arg s "$secs" '"throughput: \(.documents_read / ($s|tonumber) | floor) documents/s, \(.text_bytes_read / ($s|tonumber) / 1048576 * 10 | floor / 10) MiB/s of text (whole command, start-up included)"' "$work/planted/stats.json"
timed sample dedup --input "$root/samples/sample-docs.jsonl.gz" --out "$work/sample" --threads "$threads"
jq -c '{documents_read, removed_exact, removed_near, text_bytes_read, text_bytes_removed_exact, text_bytes_removed_near}' "$work/sample/stats.json"
