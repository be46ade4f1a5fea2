#!/usr/bin/env bash
# Side-by-side benchmark of nextlong's vector indexes against FAISS 1.7.3 on identical vectors and queries, with two
# FAISS anchors: faiss-avx2, built from Debian's own source with -DFAISS_OPT_LEVEL=avx2 (bench/faiss/build-avx2.sh,
# cached; the build pip users run), and faiss, Debian's python3-faiss (a generic build), both on OpenBLAS. Not part
# of CI: the full matrix takes hours. See docs/BENCHMARKS-INDEX.md.
#
#   bench/index-vs-faiss.sh [--quick] [--configs "KIND:D:N ..."] [--specs "SPEC ..."] [--nq 10000] [--runs 2] [--anchors "faiss-avx2 faiss"] [--stat best|median] [--out FILE]
#   bench/index-vs-faiss.sh --pq      # IVF-PQ against FAISS's IVF-PQ at equal code size (docs/BENCHMARKS-INDEX.md)
#   bench/index-vs-faiss.sh --pq4     # 4-bit fast-scan IVF-PQ (PQmx4fs) against FAISS's IndexIVFPQFastScan, 3 runs
#
# KIND is random (faiss_bench.py's vectors), structured (FAISS SyntheticDataset) or real (the bundled sample
# corpus embedded by the library: GloVe SIF, d = 100, N and D ignored). Specs use nextlong's grammar with NLIST
# standing for 1024 (128 for the ~9k real vectors). Random data has no clusters, so IVF needs nearly every list
# for high recall and FAISS's generic IVF scan takes hours there: by default it runs Flat and one IVF spec, and
# every nprobe sweep stops once the next point would exceed BUDGET_SECONDS. Each spec runs FAISS and nextlong
# alternately, --runs times each, every run first waiting (up to WAIT_SECONDS) for the 1-minute load average to
# drop below MAX_LOAD. PQ specs' sweeps also stop once recall gains less than PQ_PLATEAU (default 0.003) a step, on
# both sides: PQ's codes cap its recall below the usual 0.95 stop. Datasets are generated once into $NEXTLONG_BENCH_DATA (default /tmp/nextlong-index-bench);
# results are appended to --out (JSON lines) and summarised into the same name with .md. REPS (default 1; 5 with
# --pq4, whose searches take tens of milliseconds) times each nprobe's search within a run and keeps the best, on both sides.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DATA="${NEXTLONG_BENCH_DATA:-/tmp/nextlong-index-bench}"
MAX_LOAD="${MAX_LOAD:-1.2}"
WAIT_SECONDS="${WAIT_SECONDS:-1800}"
PY=/usr/bin/python3
CONFIGS="real:100:0 random:100:200000 random:384:200000 random:1024:200000 structured:100:200000 structured:384:200000 structured:1024:200000 random:100:1000000 random:384:1000000 random:1024:1000000 structured:100:1000000 structured:384:1000000 structured:1024:1000000"
SPECS="Flat IVFNLIST,Flat IVFNLIST,SQ8 IVFNLIST,FP16 IVFNLIST,SQ8,RFlat"
RANDOM_SPECS="Flat IVFNLIST,SQ8"
BUDGET_SECONDS="${BUDGET_SECONDS:-300}"
PQ_PLATEAU="${PQ_PLATEAU:-0.003}"
REPS="${REPS:-}"
NQ=""
RUNS=2
ANCHORS="faiss-avx2 faiss"
OUT="$ROOT/bench/results/index-vs-faiss.jsonl"
TARGETS="0.90,0.95"
STAT=best
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) CONFIGS="real:100:0 structured:384:200000"; RUNS=1; shift ;;
    --pq) RUNS=1; CONFIGS="structured:100:200000 structured:384:200000"; NQ=2000; SPECS="IVFNLIST,PQD4 IVFNLIST,PQD8"
      TARGETS="0.5,0.7,0.8"; OUT="$ROOT/bench/results/index-pq-vs-faiss.jsonl"; shift ;;
    --pq4) RUNS=3; CONFIGS="structured:100:200000 structured:384:200000"; NQ=2000; SPECS="IVFNLIST,PQD2x4fs IVFNLIST,PQD4x4fs"
      ANCHORS="faiss-avx2"; TARGETS="0.5,0.7,0.75"; STAT=median; REPS="${REPS:-5}"; OUT="$ROOT/bench/results/index-pq4-vs-faiss.jsonl"; shift ;;
    --configs) CONFIGS="$2"; shift 2 ;;
    --specs) SPECS="$2"; RANDOM_SPECS="$2"; shift 2 ;;
    --nq) NQ="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --anchors) ANCHORS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    --stat) STAT="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
OUT=$(realpath -m "$OUT")  # the runs below work from bench/faiss
mkdir -p "$DATA" "$(dirname "$OUT")"

# FAISS with OpenBLAS: without libopenblas0-openmp, Debian links the reference BLAS and Flat is ~50x slower.
if ! $PY -c 'import faiss' 2>/dev/null || [[ "$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)" != *openblas* ]]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq python3-faiss python3-numpy libopenblas0-openmp >/dev/null
fi
AVX2_PATH=""
[[ " $ANCHORS " == *" faiss-avx2 "* ]] && AVX2_PATH=$("$ROOT/bench/faiss/build-avx2.sh")
anchor_env() { if [[ $1 == faiss-avx2 ]]; then echo "PYTHONPATH=$AVX2_PATH"; else echo "PYTHONPATH="; fi; }
dotnet build -c Release "$ROOT/bench/NExtLong.IndexBench" --nologo -v quiet >/dev/null
BENCH=(dotnet "$ROOT/bench/NExtLong.IndexBench/bin/Release/net10.0/NExtLong.IndexBench.dll")

load1() { cut -d' ' -f1 /proc/loadavg; }
wait_quiet() {
  local waited=0
  while awk -v l="$(load1)" -v m="$MAX_LOAD" 'BEGIN { exit !(l >= m) }'; do
    if (( waited >= WAIT_SECONDS )); then echo "  (load1 $(load1) still >= $MAX_LOAD after ${waited}s; running anyway)" >&2; return; fi
    sleep 15; waited=$((waited + 15))
  done
}

dataset() {
  local kind=$1 d=$2 n=$3 dir
  if [[ $kind == real ]]; then dir="$DATA/real-glove-sample"; else dir="$DATA/$kind-d$d-n$n${NQ:+-q$NQ}"; fi
  if [[ ! -f $dir/gt_I.ibin ]]; then
    echo "generating $dir" >&2
    if [[ $kind == real ]]; then
      "${BENCH[@]}" embed-sample --out "$dir" >&2
      (cd "$ROOT/bench/faiss" && $PY add_groundtruth.py --data "$dir" >&2)
    else
      (cd "$ROOT/bench/faiss" && $PY make_dataset.py --kind "$kind" --d "$d" --N "$n" ${NQ:+--nq "$NQ"} --out "$dir" >&2)
    fi
  fi
  echo "$dir"
}

divisor_upto() { local m=$2; while (( m > 1 && $1 % m != 0 )); do m=$((m - 1)); done; echo "$m"; }

for config in $CONFIGS; do
  IFS=: read -r kind d n <<<"$config"
  dir=$(dataset "$kind" "$d" "$n")
  nlist=1024; [[ $kind == real ]] && nlist=128
  specs=$SPECS; [[ $kind == random ]] && specs=$RANDOM_SPECS
  for spec in $specs; do
    # PQD2 / PQD4 / PQD8: m = the largest divisor of d up to d/2, d/4 or d/8 (8-bit codes: about 1 byte per 4 or 8
    # components, 1/16 or 1/32 of float32; 4-bit PQD2x4fs and PQD4x4fs have the bytes of PQD4 and PQD8).
    spec=${spec//NLIST/$nlist}; spec=${spec//PQD2/PQ$(divisor_upto "$d" $((d / 2)))}
    spec=${spec//PQD4/PQ$(divisor_upto "$d" $((d / 4)))}; spec=${spec//PQD8/PQ$(divisor_upto "$d" $((d / 8)))}
    extra=(--reps "${REPS:-1}"); [[ ${spec^^} == *,PQ* ]] && extra+=(--plateau "$PQ_PLATEAU")
    for ((run = 1; run <= RUNS; run++)); do
      for anchor in $ANCHORS; do
        wait_quiet
        (cd "$ROOT/bench/faiss" && env "$(anchor_env "$anchor")" $PY faiss_run.py --system "$anchor" --data "$dir" --spec "$spec" \
          --budget-seconds "$BUDGET_SECONDS" "${extra[@]}" --json "$OUT" >/dev/null)
      done
      wait_quiet
      "${BENCH[@]}" run --data "$dir" --spec "$spec" --budget-seconds "$BUDGET_SECONDS" "${extra[@]}" --json "$OUT" >/dev/null
    done
  done
  $PY "$ROOT/bench/faiss/summarize.py" "$OUT" --targets "$TARGETS" --stat "$STAT" >"${OUT%.jsonl}.md"
done
cat "${OUT%.jsonl}.md"
