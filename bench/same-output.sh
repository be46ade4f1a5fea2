#!/usr/bin/env bash
# Checks that a change leaves synthesis output byte-identical: runs `synthesize` on the sample corpus with two builds
# of the CLI (e.g. a copy of src/NExtLong.Cli/bin/Release/net10.0 made before the change, and the current one) and
# compares every file of the two datasets with cmp, for each format set and thread count below.
# Usage: bench/same-output.sh BEFORE_BIN_DIR AFTER_BIN_DIR [-n 64] [more synthesize options]
set -euo pipefail
before="$1"; after="$2"; shift 2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
corpus="$root/samples/sample-docs.jsonl.gz"
dotnet "$after/NExtLong.Cli.dll" index --input "$corpus" --out "$work/index" >/dev/null
status=0
for formats in jsonl.zst,mds,megatron mds-text,parquet; do
  for threads in 1 2; do
    for side in before after; do
      bin="$before"; [[ $side == after ]] && bin="$after"
      dotnet "$bin/NExtLong.Cli.dll" synthesize --index "$work/index" --input "$corpus" --out "$work/$side" \
        --format "$formats" --threads "$threads" --overwrite "$@" >/dev/null
    done
    files=$(cd "$work/before" && find . -type f | sort)
    if [[ "$files" != "$(cd "$work/after" && find . -type f | sort)" ]]; then
      echo "--format $formats --threads $threads: the file lists differ"; status=1
    fi
    for f in $files; do
      cmp -s "$work/before/$f" "$work/after/$f" || { echo "--format $formats --threads $threads: $f differs"; status=1; }
    done
    echo "--format $formats --threads $threads: $(wc -w <<<"$files") files compared"
    rm -rf "$work/before" "$work/after"
  done
done
exit $status
