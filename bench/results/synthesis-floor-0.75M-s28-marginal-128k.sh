#!/bin/bash
# The runs of bench/results/synthesis-floor-0.75M-s28-marginal-128k.txt: T = 128K again, 7 repeats, after
# synthesis-floor-0.75M-s28-marginal.sh's first two repeats at that T ran while the machine was slow (a --threads 2 run
# of 64 documents took 3.51 s and 4.27 CPU s, against 0.89-1.03 s and 1.55-1.71 CPU s in the other repeats).
B=bench/NExtLong.Bench/bin/Release/net10.0/NExtLong.Bench.dll CLI=${CLI:?native CLI} DATA=${DATA:?folder with corpus-55.jsonl.gz and index-x3}
date -u +%H:%M:%S
dotnet $B synthesis-floor --corpus $DATA/corpus-55.jsonl.gz --index $DATA/index-x3 --samples 64,256 --target-tokens 131072 --repeats 7 --threads 1,2 --token-cache use --via pinned --cli $CLI 2>&1
date -u +%H:%M:%S
