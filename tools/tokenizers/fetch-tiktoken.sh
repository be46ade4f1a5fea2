#!/usr/bin/env bash
# Installs OpenAI's tiktoken for the tests that compare cl100k_base, o200k_base and llama3 ids against it: the npm
# package `tiktoken` is the real Rust tiktoken (its regex and BPE) built to WebAssembly, with the cl100k_base and
# o200k_base rank files inside, so it runs offline once installed. Idempotent and pinned; needs only npm.
#
#   <cache>/tokenizers/tiktoken/node/   npm install of tiktoken (for tiktoken-ids.mjs)
#
# <cache> is $NEXTLONG_CACHE, else $XDG_CACHE_HOME/nextlong, else ~/.cache/nextlong (as in TokenizerCache.cs).
set -euo pipefail

PACKAGE=tiktoken
VERSION=1.0.22
INTEGRITY=sha512-PKvy1rVF1RibfF3JlXBSP0Jrcw2uq3yXdgcEXtKTYn3QJ/cBRBHDnrJ5jHky+MENZ6DIPwNUGWpkVx+7joCpNA==

if [[ -n "${NEXTLONG_CACHE:-}" ]]; then
  cache=$NEXTLONG_CACHE
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then
  cache=$XDG_CACHE_HOME/nextlong
else
  cache=$HOME/.cache/nextlong
fi
node_dir=$cache/tokenizers/tiktoken/node

installed=$(node -p "try { require('$node_dir/node_modules/$PACKAGE/package.json').version } catch { '' }")
if [[ "$installed" == "$VERSION" ]]; then
  echo "tiktoken: reference present in $node_dir"
  exit 0
fi
actual=$(npm view "$PACKAGE@$VERSION" dist.integrity 2>/dev/null)
if [[ "$actual" != "$INTEGRITY" ]]; then
  echo "tiktoken: $PACKAGE@$VERSION integrity is $actual, expected $INTEGRITY" >&2
  exit 1
fi
mkdir -p "$node_dir"
npm install --silent --prefix "$node_dir" --no-audit --no-fund --save-exact "$PACKAGE@$VERSION"
# The lock file records the tarball's integrity; refuse anything but the pinned one.
locked=$(node -p "require('$node_dir/package-lock.json').packages['node_modules/$PACKAGE'].integrity")
if [[ "$locked" != "$INTEGRITY" ]]; then
  echo "tiktoken: installed $PACKAGE has integrity $locked, expected $INTEGRITY" >&2
  rm -rf "$node_dir"
  exit 1
fi
echo "tiktoken: installed reference into $node_dir"
