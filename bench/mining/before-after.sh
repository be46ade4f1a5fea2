#!/usr/bin/env bash
# Mining that scales (issue 17 part 2), before and after a change, alternating runs, medians:
#  1. exact search: calls of 1, 8, 64 and 1,024 queries (top-64, one thread, as the miner searches) over N clustered
#     100-d unit vectors in a mapped vectors.flat (`NExtLong.IndexBench exact`; N = 500,000 by default, --n 5000000
#     for the 5M point: 2 GB of vectors);
#  2. `synthesize` on a sizable corpus: the sample and COPIES-1 re-worded copies of it (bench/mining/make-corpus.py;
#     14 copies: 27,188 documents, 785,602 chunks at --chunk-chars 512), one hybrid index (serves dense, bm25 and
#     hybrid), --retriever dense, bm25 and hybrid, each output compared byte for byte (cmp) between the two builds.
# The before side is BEFORE_REV built from `git archive` with this tree's bench/NExtLong.IndexBench sources (so both
# sides run the same benchmark code); the after side is this tree's Release build (dotnet build -c Release first).
# Usage: bench/mining/before-after.sh BEFORE_REV [--repeats 3] [--samples 16] [--copies 14] [--n 500000] [--threads 2]
#        [--retrievers dense,bm25,hybrid]; WORK=DIR keeps the corpus, index and vectors between runs (default /tmp/nextlong-mining).
set -euo pipefail
rev="$1"; shift
repeats=3; samples=16; copies=14; n=500000; threads=2; retrievers=dense,bm25,hybrid
while [[ $# -gt 0 ]]; do
  case "$1" in
    --repeats) repeats="$2" ;; --samples) samples="$2" ;; --copies) copies="$2" ;; --n) n="$2" ;;
    --threads) threads="$2" ;; --retrievers) retrievers="$2" ;; *) echo "unknown option $1" >&2; exit 2 ;;
  esac; shift 2
done
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="${WORK:-/tmp/nextlong-mining}"; mkdir -p "$work"
rel=bin/Release/net10.0

if [[ ! -f "$work/before-$rev.built" ]]; then
  rm -rf "$work/before-src"; mkdir -p "$work/before-src"
  git -C "$root" archive "$rev" | tar -x -C "$work/before-src"
  cp "$root"/bench/NExtLong.IndexBench/*.cs "$work/before-src/bench/NExtLong.IndexBench/"
  (cd "$work/before-src" && dotnet build -c Release src/NExtLong.Cli >/dev/null && dotnet build -c Release bench/NExtLong.IndexBench >/dev/null)
  touch "$work/before-$rev.built"
fi
cli_before="$work/before-src/src/NExtLong.Cli/$rel/NExtLong.Cli.dll"; cli_after="$root/src/NExtLong.Cli/$rel/NExtLong.Cli.dll"
bench_before="$work/before-src/bench/NExtLong.IndexBench/$rel/NExtLong.IndexBench.dll"; bench_after="$root/bench/NExtLong.IndexBench/$rel/NExtLong.IndexBench.dll"

corpus="$work/corpus-$copies.jsonl.gz"; index="$work/index-$copies"
[[ -f "$corpus" ]] || python3 "$root/bench/mining/make-corpus.py" "$root/samples/sample-docs.jsonl.gz" "$copies" "$corpus"
[[ -f "$index/manifest.json" ]] || dotnet "$cli_after" index --input "$corpus" --out "$index" --chunk-chars 512 --retriever hybrid >/dev/null

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-); flags:$(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512bw|avx512vl)$' | tr '\n' ' ')"
echo "$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; before $rev, after $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo '+changes'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/results-$(date +%s)"; mkdir -p "$results"
for ((r = 0; r < repeats; r++)); do
  sides=(before after); (( r % 2 == 1 )) && sides=(after before)
  for side in "${sides[@]}"; do
    bench="$bench_before"; [[ $side == after ]] && bench="$bench_after"
    dotnet "$bench" exact --dir "$work/vectors" --n "$n" --seconds 2 --json "$results/exact-$side.jsonl" >/dev/null
  done
  for retriever in ${retrievers//,/ }; do
    for side in "${sides[@]}"; do
      cli="$cli_before"; [[ $side == after ]] && cli="$cli_after"
      load=$(cut -d' ' -f1 /proc/loadavg)
      /usr/bin/time -o "$results/time" -f "%e %U %S" dotnet "$cli" synthesize --index "$index" --input "$corpus" --out "$work/out-$side" \
        -n "$samples" --threads "$threads" --retriever "$retriever" --overwrite >>"$results/synthesize-$side.log" 2>&1
      echo "$retriever $side $(cat "$results/time") $load" >> "$results/synthesize.txt"
    done
    for f in $(cd "$work/out-before" && find . -type f | sort); do
      cmp -s "$work/out-before/$f" "$work/out-after/$f" || { echo "--retriever $retriever: $f differs between before and after"; exit 1; }
    done
  done
done
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg); every synthesized output identical before and after"
python3 - "$results" <<'PY'
import json, statistics, sys, collections
d = sys.argv[1]
rows = {side: collections.defaultdict(list) for side in ("before", "after")}
for side in rows:
    for line in open(f"{d}/exact-{side}.jsonl"):
        for row in json.loads(line)["rows"]:
            rows[side][row["queries_per_call"]].append((row["median_ms_per_call"], row["qps"], row["load1"]))
peak = {s: max(statistics.median(q for _, q, _ in v) for v in rows[s].values()) for s in rows}
print("exact search, median over runs: ms per call (queries/s, fraction of that side's batched peak)")
print("| queries per call | before | after | after/before speed |\n|---|---|---|---|")
for b in sorted(rows["after"]):
    cell = lambda s: (statistics.median(m for m, _, _ in rows[s][b]), statistics.median(q for _, q, _ in rows[s][b]))
    (mb, qb), (ma, qa) = cell("before"), cell("after")
    print(f"| {b} | {mb:.1f} ms ({qb:,.0f} q/s, {qb/peak['before']:.0%}) | {ma:.1f} ms ({qa:,.0f} q/s, {qa/peak['after']:.0%}) | {mb/ma:.2f}x |")
times = collections.defaultdict(list)
for line in open(f"{d}/synthesize.txt"):
    retriever, side, wall, user, system, load = line.split()
    times[(retriever, side)].append((float(wall), float(user) + float(system), float(load)))
print("\nsynthesize, median of the runs: wall seconds and CPU seconds (user + system)")
print("| --retriever | wall before | wall after | wall before/after | CPU before | CPU after | CPU before/after | load1 at the starts |\n|---|---|---|---|---|---|---|---|")
for retriever in dict.fromkeys(k[0] for k in times):
    (wb, cb), (wa, ca) = ((statistics.median(t[0] for t in times[(retriever, x)]), statistics.median(t[1] for t in times[(retriever, x)])) for x in ("before", "after"))
    loads = [t[2] for x in ("before", "after") for t in times[(retriever, x)]]
    print(f"| {retriever} | {wb:.1f} s | {wa:.1f} s | {wb/wa:.2f}x | {cb:.1f} s | {ca:.1f} s | {cb/ca:.2f}x | {min(loads):.1f}–{max(loads):.1f} |")
PY
