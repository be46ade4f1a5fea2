#!/bin/bash
# Session 24's A/Bs, as run (output: synthesize-cli-ab-s24.txt). REPO: a checkout of 28f7d0c; B: the native CLI of
# 2f66d42 (`git worktree add /tmp/nl-base 2f66d42 && /tmp/nl-base/nextlong --which`, its folder copied to
# /tmp/nl-big/base-bin); corpus and index as in the .txt's header.
cd "$REPO"
A="$(./nextlong --which)"; B=/tmp/nl-big/base-bin/NExtLong.Cli
X="-i /tmp/nl-big/corpus-55.jsonl.gz --index /tmp/nl-big/index-x3 --token-cache use --overwrite --format jsonl.zst,mds,megatron"
run() { # label n args...
  local label=$1 n=$2; shift 2
  echo "=== $label: A = 28f7d0c (this session), B = 2f66d42 (session 23)"
  farm-bench -n $n --timeout 600 --vs "$B synthesize $X $* -o /tmp/nl-big/o1" -- $A synthesize $X "$@" -o /tmp/nl-big/o2 2>&1 | grep -vE "^B exit|output was read"
}
runp() { local label=$1 n=$2; shift 2
  echo "=== $label: A = 28f7d0c (this session), B = 2f66d42 (session 23), both under taskset -c 0"
  farm-bench -n $n --timeout 600 --vs "taskset -c 0 $B synthesize $X $* -o /tmp/nl-big/o1" -- taskset -c 0 $A synthesize $X "$@" -o /tmp/nl-big/o2 2>&1 | grep -vE "^B exit|output was read"
}
date; uptime
run "16 x 512K, --threads 2" 10 --target-tokens 524288 -n 16 --threads 2
run "128 x 64K, --threads 2" 10 --target-tokens 65536 -n 128 --threads 2
runp "128 x 64K, --threads 1 on one core" 8 --target-tokens 65536 -n 128 --threads 1
run "512 x 64K, --threads 2" 6 --target-tokens 65536 -n 512 --threads 2
run "128 x 512K, --threads 2" 6 --target-tokens 524288 -n 128 --threads 2
echo "=== pinned pair, this session's build: A = --threads 2, B = taskset -c 0 --threads 1"
for spec in "65536 512" "524288 128"; do set -- $spec
  echo "--- $2 x $1"
  farm-bench -n 6 --timeout 600 --vs "taskset -c 0 $A synthesize $X --target-tokens $1 -n $2 --threads 1 -o /tmp/nl-big/o1" -- $A synthesize $X --target-tokens $1 -n $2 --threads 2 -o /tmp/nl-big/o2 2>&1 | grep -vE "^B exit|output was read"
done
date; uptime
