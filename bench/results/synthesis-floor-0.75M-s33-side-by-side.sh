#!/bin/bash
# The runs of bench/results/synthesis-floor-0.75M-s33-side-by-side.txt: as synthesis-floor-0.75M-s31-side-by-side.sh, with the
# CLI of session 32 (7fc8ba6: the BM25 scoring loop through pointers) and a bench that keeps the memory it frees
# (RetainVMGarbageCollection; synthesis-floor-0.75M-s33-released.txt is the same sitting before that); --side-by-side: each
# repeat also runs two copies of the --threads 1 run at once, one on each processor, for the machine's own ceiling. CLI = the native CLI
# (./nextlong --which); DATA = the folder with corpus-55.jsonl.gz and index-x3.
B=bench/NExtLong.Bench/bin/Release/net10.0/NExtLong.Bench.dll CLI=${CLI:?native CLI} DATA=${DATA:?folder with corpus-55.jsonl.gz and index-x3}
for spec in "128,512 65536" "64,256 131072" "16,128 524288"; do set -- $spec; echo "######## $1 x $2"; date -u +%H:%M:%S; dotnet $B synthesis-floor --corpus $DATA/corpus-55.jsonl.gz --index $DATA/index-x3 --samples $1 --target-tokens $2 --repeats 6 --threads 1,2 --token-cache use --via pinned --side-by-side --cli $CLI 2>&1; done
date -u +%H:%M:%S
