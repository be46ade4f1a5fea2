#!/usr/bin/env bash
# What a nextlong command's resident memory is made of (issue 17 part 6): runs COMMAND and samples its
# /proc/PID/status every 50 ms, printing the peaks of VmRSS (what `top`/`ps` and Slurm's accounting show),
# RssAnon (heap and native buffers: what the process really holds) and RssFile (pages of memory-mapped index
# files and of mapped DLLs: page cache that the kernel drops under pressure and that processes on one node share),
# with VmHWM and the wall time. The numbers of docs/BENCHMARKS-INDEX.md "Reading RSS" come from here.
#
#   bench/memory.sh -- dotnet src/NExtLong.Cli/bin/Release/net10.0/NExtLong.Cli.dll synthesize --index IDX --input C --out O -n 16
set -euo pipefail
[[ ${1:-} == -- ]] && shift
[[ $# -gt 0 ]] || { echo "usage: bench/memory.sh -- COMMAND [ARGS...]" >&2; exit 2; }
start=$(date +%s.%N)
"$@" >/dev/null &
pid=$!
peak_rss=0 peak_anon=0 peak_file=0 hwm=0
kb() { awk -v k="$1" '$1 == k { print $2 }' "/proc/$pid/status" 2>/dev/null || true; }
while kill -0 "$pid" 2>/dev/null; do
  rss=$(kb VmRSS:); anon=$(kb RssAnon:); file=$(kb RssFile:); h=$(kb VmHWM:)
  [[ -n $rss ]] || break
  (( rss > peak_rss )) && peak_rss=$rss
  (( anon > peak_anon )) && peak_anon=$anon
  (( file > peak_file )) && peak_file=$file
  (( h > hwm )) && hwm=$h
  sleep 0.05
done
rc=0; wait "$pid" || rc=$?
end=$(date +%s.%N)
awk -v r="$peak_rss" -v a="$peak_anon" -v f="$peak_file" -v h="$hwm" -v s="$start" -v e="$end" -v rc="$rc" 'BEGIN {
  printf "exit %d, wall %.1f s; peak VmRSS %.2f GiB (VmHWM %.2f GiB) = anonymous (RssAnon) peak %.2f GiB + file-backed (RssFile) peak %.2f GiB\n",
    rc, e - s, r / 1048576, h / 1048576, a / 1048576, f / 1048576 }'
exit "$rc"
