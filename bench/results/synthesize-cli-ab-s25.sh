#!/bin/bash
# Session 25's A/Bs, as run (output: synthesize-cli-ab-s25.txt). A: the native CLI of this session's build (dc27b43),
# B: session 24's (ee99359), each `./nextlong --which`'s folder copied aside; corpus and index as in session 24.
A=/tmp/nl-big/new2-bin/NExtLong.Cli; B=/tmp/nl-big/base-bin/NExtLong.Cli
X="-i /tmp/nl-big/corpus-55.jsonl.gz --index /tmp/nl-big/index-x3 --token-cache use --overwrite --format jsonl.zst,mds,megatron"
run() { local label=$1 n=$2; shift 2
  echo "=== $label: A = dc27b43 (this session), B = ee99359 (session 24)"
  farm-bench -n $n --timeout 600 --vs "$B synthesize $X $* -o /tmp/nl-big/o1" -- $A synthesize $X "$@" -o /tmp/nl-big/o2 2>&1 | grep -vE "^B exit|output was read"
}
runp() { local label=$1 n=$2; shift 2
  echo "=== $label: A = dc27b43 (this session), B = ee99359 (session 24), both under taskset -c 0"
  farm-bench -n $n --timeout 600 --vs "taskset -c 0 $B synthesize $X $* -o /tmp/nl-big/o1" -- taskset -c 0 $A synthesize $X "$@" -o /tmp/nl-big/o2 2>&1 | grep -vE "^B exit|output was read"
}
date; uptime
run "64 x 128K, --threads 2" 10 --target-tokens 131072 -n 64 --threads 2
run "512 x 64K, --threads 2" 6 --target-tokens 65536 -n 512 --threads 2
run "128 x 512K, --threads 2" 6 --target-tokens 524288 -n 128 --threads 2
runp "64 x 128K, --threads 1 on one core" 8 --target-tokens 131072 -n 64 --threads 1
echo "=== pinned pairs, this session's build: A = --threads 2, B = taskset -c 0 --threads 1"
for spec in "65536 512" "524288 128"; do set -- $spec
  echo "--- $2 x $1"
  farm-bench -n 6 --timeout 600 --vs "taskset -c 0 $A synthesize $X --target-tokens $1 -n $2 --threads 1 -o /tmp/nl-big/o1" -- $A synthesize $X --target-tokens $1 -n $2 --threads 2 -o /tmp/nl-big/o2 2>&1 | grep -vE "^B exit|output was read"
done
date; uptime
