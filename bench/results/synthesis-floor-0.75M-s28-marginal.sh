#!/bin/bash
# The runs of bench/results/synthesis-floor-0.75M-s28-marginal.txt: each T at a short and a long count in one sitting,
# so that the bench prints the marginal scaling (the extra documents' time on one core over two) beside each count's
# whole-run ratio. CLI = the native CLI (./nextlong --which); DATA = the folder with corpus-55.jsonl.gz (made by
# bench/mining/make-corpus.py from the sample corpus, 55 copies) and index-x3 (`nextlong index` of it, 751,699 chunks).
B=bench/NExtLong.Bench/bin/Release/net10.0/NExtLong.Bench.dll CLI=${CLI:?native CLI} DATA=${DATA:?folder with corpus-55.jsonl.gz and index-x3}
for spec in "128,512 65536" "64,256 131072" "16,128 524288"; do set -- $spec; echo "######## $1 x $2"; date -u +%H:%M:%S; dotnet $B synthesis-floor --corpus $DATA/corpus-55.jsonl.gz --index $DATA/index-x3 --samples $1 --target-tokens $2 --repeats 5 --threads 1,2 --token-cache use --via pinned --cli $CLI 2>&1; done
date -u +%H:%M:%S
